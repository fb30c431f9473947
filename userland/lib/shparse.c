// shparse.c: the shell's lexer and parser (see <lamina/shparse.h>): one line of
// input becomes pipelines of commands with their words and redirections.
//
// The lexer turns the line into tokens (words and operators), copying each word,
// unquoted, into the line's text buffer; the parser checks the grammar as it fills
// struct sh_line. Nothing here runs anything, so the shell's execution (sh.c) and
// its language can be read, and replaced, separately.

#include <stdio.h>
#include <string.h>
#include <lamina/shparse.h>

enum token_type { T_WORD, T_PIPE, T_AMP, T_AND, T_OR, T_SEMI, T_REDIR, T_END, T_ERROR };

struct token {
  enum token_type type;
  char *word;  // T_WORD: the unquoted word, in the line's text
  struct sh_redir redir;  // T_REDIR: fd and kind (the target comes next)
  const char *what;  // T_ERROR: the problem
};

struct lexer {
  const char *p;  // the next character of the line
  char *out;  // where the next word's text goes (a word is never longer than its
              // source plus a NUL, so the text buffer, twice a line, always has room)
};

// Whether c ends an unquoted word.
static int
is_break(char c)
{
  return c == '\0' || c == ' ' || c == '\t' || c == '|' || c == '&' || c == ';' ||
         c == '<' || c == '>';
}

// Whether $c is an expansion the shell makes.
static int
is_special_param(char c)
{
  return c == '?' || c == '!' || c == '$';
}

// Lex an operator at lx->p into t. Returns 1, or 0 if there is none there.
static int
lex_operator(struct lexer *lx, struct token *t)
{
  const char *p = lx->p;
  int fd = -1;

  if (p[0] >= '0' && p[0] <= '9' && (p[1] == '<' || p[1] == '>')) {
    fd = p[0] - '0';  // an IO number: "2>file"
    p++;
  }
  t->redir = (struct sh_redir){fd, SH_WRITE, NULL, -1};
  if (p[0] == '<') {
    t->type = T_REDIR;
    t->redir.kind = SH_READ;
    t->redir.fd = fd < 0 ? 0 : fd;
    lx->p = p + 1;
    return 1;
  }
  if (p[0] == '>') {
    t->type = T_REDIR;
    t->redir.fd = fd < 0 ? 1 : fd;
    if (p[1] == '>') {
      t->redir.kind = SH_APPEND;
      p++;
    } else if (p[1] == '&' && p[2] >= '0' && p[2] <= '9') {
      t->redir.kind = SH_DUP;
      t->redir.dup_from = p[2] - '0';
      p += 2;
    }
    lx->p = p + 1;
    return 1;
  }
  if (p[0] == '|' || p[0] == '&') {
    int doubled = p[1] == p[0];
    t->type = p[0] == '|' ? (doubled ? T_OR : T_PIPE) : (doubled ? T_AND : T_AMP);
    lx->p = p + 1 + doubled;
    return 1;
  }
  if (p[0] == ';') {
    t->type = T_SEMI;
    lx->p = p + 1;
    return 1;
  }
  return 0;
}

// Copy the expansion "$c" into the word, marked for sh.c to expand, or a plain '$'
// if c is not one the shell knows. Advances past what it used.
static void
lex_dollar(struct lexer *lx)
{
  if (is_special_param(lx->p[1])) {
    *lx->out++ = SH_EXPAND;
    *lx->out++ = lx->p[1];
    lx->p += 2;
  } else {
    *lx->out++ = '$';
    lx->p++;
  }
}

// Lex a word at lx->p into t, removing quotes. T_ERROR for an unterminated quote.
static void
lex_word(struct lexer *lx, struct token *t)
{
  t->type = T_WORD;
  t->word = lx->out;
  while (!is_break(*lx->p)) {
    char c = *lx->p;
    if (c == '\'') {
      const char *close = strchr(lx->p + 1, '\'');
      if (close == NULL)
        goto unterminated;
      memcpy(lx->out, lx->p + 1, (size_t)(close - lx->p - 1));
      lx->out += close - lx->p - 1;
      lx->p = close + 1;
    } else if (c == '"') {
      for (lx->p++; *lx->p != '"'; ) {
        if (*lx->p == '\0')
          goto unterminated;
        if (*lx->p == '\\' && (lx->p[1] == '"' || lx->p[1] == '\\' || lx->p[1] == '$')) {
          *lx->out++ = lx->p[1];
          lx->p += 2;
        } else if (*lx->p == '$') {
          lex_dollar(lx);
        } else {
          *lx->out++ = *lx->p++;
        }
      }
      lx->p++;
    } else if (c == '\\' && lx->p[1] != '\0') {
      *lx->out++ = lx->p[1];
      lx->p += 2;
    } else if (c == '$') {
      lex_dollar(lx);
    } else {
      *lx->out++ = *lx->p++;
    }
  }
  *lx->out++ = '\0';
  return;
unterminated:
  t->type = T_ERROR;
  t->what = "unterminated quote";
}

// The next token of the line.
static struct token
next_token(struct lexer *lx)
{
  struct token t;

  memset(&t, 0, sizeof t);
  while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r')
    lx->p++;
  if (*lx->p == '\0' || *lx->p == '#') {
    t.type = T_END;  // a '#' that starts a word comments out the rest
    return t;
  }
  if (!lex_operator(lx, &t))
    lex_word(lx, &t);
  return t;
}

// The text of a token, for error messages.
static const char *
token_text(const struct token *t)
{
  static const char *names[] = {"word", "|", "&", "&&", "||", ";", "redirection", "end of line", "?"};

  return names[t->type];
}

// Report a syntax error at token t into err. Returns -1.
static int
syntax_error(const struct token *t, char *err, int errlen)
{
  if (t->type == T_ERROR)
    snprintf(err, (size_t)errlen, "syntax error: %s", t->what);
  else
    snprintf(err, (size_t)errlen, "syntax error near '%s'", token_text(t));
  return -1;
}

// Parse one command starting with token *t into c; *t becomes the token after it.
// 0 or -1 (err set).
static int
parse_command(struct lexer *lx, struct token *t, struct sh_command *c, char *err, int errlen)
{
  while (t->type == T_WORD || t->type == T_REDIR) {
    if (t->type == T_WORD) {
      if (c->argc == SH_MAX_ARGS) {
        snprintf(err, (size_t)errlen, "too many words in a command (at most %d)", SH_MAX_ARGS);
        return -1;
      }
      c->argv[c->argc++] = t->word;
    } else {
      struct sh_redir r = t->redir;
      if (c->nredirs == SH_MAX_REDIRS) {
        snprintf(err, (size_t)errlen, "too many redirections (at most %d)", SH_MAX_REDIRS);
        return -1;
      }
      if (r.kind != SH_DUP) {
        *t = next_token(lx);
        if (t->type != T_WORD)
          return syntax_error(t, err, errlen);
        r.path = t->word;
      }
      c->redirs[c->nredirs++] = r;
    }
    *t = next_token(lx);
  }
  c->argv[c->argc] = NULL;
  if (c->argc == 0 && c->nredirs == 0)
    return syntax_error(t, err, errlen);
  return 0;
}

// Parse a pipeline starting with token *t into pl. 0 or -1 (err set).
static int
parse_pipeline(struct lexer *lx, struct token *t, struct sh_pipeline *pl, char *err, int errlen)
{
  for (;;) {
    if (pl->ncmds == SH_MAX_CMDS) {
      snprintf(err, (size_t)errlen, "too many commands in a pipeline (at most %d)", SH_MAX_CMDS);
      return -1;
    }
    if (parse_command(lx, t, &pl->cmds[pl->ncmds++], err, errlen) < 0)
      return -1;
    if (t->type != T_PIPE)
      return 0;
    *t = next_token(lx);
  }
}

// Parse line into *out; see <lamina/shparse.h>.
int
sh_parse(const char *line, struct sh_line *out, char *err, int errlen)
{
  struct lexer lx = {line, out->text};
  enum sh_link link = SH_ALWAYS;
  struct token t;

  out->npipelines = 0;
  if (strlen(line) >= SH_LINE_MAX) {
    snprintf(err, (size_t)errlen, "line too long (at most %d bytes)", SH_LINE_MAX - 1);
    return -1;
  }
  t = next_token(&lx);
  while (t.type != T_END) {
    struct sh_pipeline *pl;
    if (out->npipelines == SH_MAX_PIPELINES) {
      snprintf(err, (size_t)errlen, "too many commands on one line (at most %d)", SH_MAX_PIPELINES);
      return -1;
    }
    pl = &out->pipelines[out->npipelines++];
    memset(pl, 0, sizeof *pl);
    pl->link = link;
    if (parse_pipeline(&lx, &t, pl, err, errlen) < 0)
      return -1;
    if (t.type == T_END)
      break;
    if (t.type != T_SEMI && t.type != T_AMP && t.type != T_AND && t.type != T_OR)
      return syntax_error(&t, err, errlen);
    pl->background = t.type == T_AMP;
    link = t.type == T_AND ? SH_IF_OK : t.type == T_OR ? SH_IF_FAILED : SH_ALWAYS;
    t = next_token(&lx);
    if (t.type == T_END && link != SH_ALWAYS)
      return syntax_error(&t, err, errlen);  // "a &&" needs a command after it
  }
  return 0;
}
