/* lamina/shparse.h: the shell's command language, parsed (userland/lib/shparse.c;
 * the shell itself is userland/bin/sh.c).
 *
 * One input line is a list of pipelines:
 *   list      := pipeline ((';' | '&' | '&&' | '||') pipeline)* [';' | '&']
 *   pipeline  := command ('|' command)*
 *   command   := (word | redirection)+
 *   redirection := [digit] ('<' | '>' | '>>') word  |  [digit] '>&' digit
 * Words are split at blanks and operators; '...' quotes everything, "..." everything
 * but \" \\ \$ and $ expansions, a backslash outside quotes the next character, and
 * '#' at the start of a word comments out the rest of the line. $?, $! and $$ are
 * expanded when the command runs (so "false; echo $?" sees false's status): the
 * parser leaves SH_EXPAND followed by the character in the word.
 */
#ifndef LAMINA_SHPARSE_H
#define LAMINA_SHPARSE_H

#define SH_LINE_MAX 1024  /* bytes of one input line */
#define SH_MAX_ARGS 64  /* words of one command */
#define SH_MAX_CMDS 16  /* commands of one pipeline */
#define SH_MAX_PIPELINES 16  /* pipelines of one line */
#define SH_MAX_REDIRS 4  /* redirections of one command */

#define SH_EXPAND '\001'  /* in a word: expand the next character ($?, $!, $$) */

/* How a pipeline follows the one before it. */
enum sh_link { SH_ALWAYS, SH_IF_OK, SH_IF_FAILED };  /* ';' or '&' / '&&' / '||' */

/* What a redirection does to descriptor fd. */
enum sh_redir_kind { SH_READ, SH_WRITE, SH_APPEND, SH_DUP };

struct sh_redir {
  int fd;
  enum sh_redir_kind kind;
  char *path;  /* SH_READ, SH_WRITE, SH_APPEND: the file */
  int dup_from;  /* SH_DUP: fd becomes a copy of this descriptor */
};

struct sh_command {
  int argc;
  char *argv[SH_MAX_ARGS + 1];  /* NULL-terminated */
  int nredirs;
  struct sh_redir redirs[SH_MAX_REDIRS];
};

struct sh_pipeline {
  enum sh_link link;
  int background;  /* ended by '&' */
  int ncmds;
  struct sh_command cmds[SH_MAX_CMDS];
};

/* A parsed line. Words point into text, which the parser fills. */
struct sh_line {
  int npipelines;
  struct sh_pipeline pipelines[SH_MAX_PIPELINES];
  char text[2 * SH_LINE_MAX];
};

/* Parse line (NUL-terminated, without its newline) into *out. Returns 0, or -1 with
 * a message for the user in err (errlen bytes) on a syntax error. An empty line or a
 * comment gives 0 pipelines. */
int sh_parse(const char *line, struct sh_line *out, char *err, int errlen);

#endif /* LAMINA_SHPARSE_H */
