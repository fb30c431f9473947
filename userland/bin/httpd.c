// httpd: a small HTTP/1.0 server (RFC 1945): GET only, files from the file service.
//
//   $ httpd -N NETD -F FSD [PORT [COUNT]]   serve on PORT (default 80); end after COUNT
//                                           connections (default: never)
//
// One connection at a time: read the request head, answer, close. "/" is
// /www/index.html and every other path is looked up under /www; a path with ".."
// in it, or a malformed request line, is a 400, a method other than GET a 405, a
// file that is not there a 404. Every answer carries Content-Length.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/net.h>
#include <lamina/proc.h>

#define HEAD_MAX 2048  // the most request head we read
#define LINGER 2000000  // virtual instructions to wait for the client to close

static char head[HEAD_MAX + 1];
static char body[FS_IO_MAX];
static char path[FS_PATH_MAX + 1];

// Whether text contains sub (the library has no strstr).
static int
contains(const char *text, const char *sub)
{
  size_t n = strlen(sub);

  for (; *text != '\0'; text++) {
    if (strncmp(text, sub, n) == 0)
      return 1;
  }
  return 0;
}

// Read the request head (up to the empty line) from c into head. Its length, or
// -1 if it is too long or the connection ended first.
static long
read_head(int c)
{
  long len = 0;

  while (len < HEAD_MAX) {
    long n = recv(c, head + len, HEAD_MAX - (size_t)len, 0);
    if (n <= 0)
      return -1;
    len += n;
    head[len] = '\0';
    if (contains(head, "\r\n\r\n") || contains(head, "\n\n"))
      return len;
  }
  return -1;
}

// Send an answer with no file: status line, headers and a one-line body.
static void
send_error(int c, int status, const char *reason)
{
  char text[256];
  char msg[64];
  int blen = snprintf(msg, sizeof(msg), "%d %s\n", status, reason);
  int n = snprintf(text, sizeof(text),
                   "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s", status,
                   reason, blen, status == 405 ? "Allow: GET\r\n" : "", msg);
  send(c, text, (size_t)n, 0);
}

// The Content-Type for a file name.
static const char *
content_type(const char *name)
{
  const char *dot = strrchr(name, '.');

  if (dot != NULL && strcmp(dot, ".html") == 0)
    return "text/html";
  if (dot != NULL && strcmp(dot, ".txt") == 0)
    return "text/plain";
  return "application/octet-stream";
}

// Send the file at path with a 200 header. Returns the status sent.
static int
send_file(int c)
{
  long fsd = proc_fsd();
  struct fs_stat st;
  char text[256];
  long fd, n;

  fd = fs_open(fsd, path, FS_O_RDONLY, 0);
  if (fd < 0 || fs_fstat(fsd, fd, &st) < 0 || (st.mode & FS_S_IFMT) != FS_S_IFREG) {
    if (fd >= 0)
      fs_close(fsd, fd);
    send_error(c, 404, "Not Found");
    return 404;
  }
  n = snprintf(text, sizeof(text), "HTTP/1.0 200 OK\r\nContent-Type: %s\r\nContent-Length: %lu\r\n\r\n",
               content_type(path), (unsigned long)st.size);
  send(c, text, (size_t)n, 0);
  while ((n = fs_read(fsd, fd, body, sizeof(body))) > 0)
    send(c, body, (size_t)n, 0);
  fs_close(fsd, fd);
  return 200;
}

// Answer the request in head on connection c. Returns the status sent.
static int
answer(int c, long len)
{
  char *method = head, *target, *version, *end;

  if (len < 0) {
    send_error(c, 400, "Bad Request");
    return 400;
  }
  for (end = head; *end != '\r' && *end != '\n'; end++)  // the head has an empty line
    ;
  *end = '\0';
  target = strchr(method, ' ');
  version = target != NULL ? strchr(target + 1, ' ') : NULL;
  if (target == NULL || version == NULL || strncmp(version + 1, "HTTP/", 5) != 0) {
    send_error(c, 400, "Bad Request");
    return 400;
  }
  *target++ = '\0';
  *version = '\0';
  if (strcmp(method, "GET") != 0) {
    send_error(c, 405, "Method Not Allowed");
    return 405;
  }
  if (target[0] != '/' || contains(target, "..") || strlen(target) + 16 > FS_PATH_MAX) {
    send_error(c, 400, "Bad Request");
    return 400;
  }
  snprintf(path, sizeof(path), "/www%s%s", target, target[strlen(target) - 1] == '/' ? "index.html" : "");
  return send_file(c);
}

// Serve one connection: answer, then close once the client has closed its side
// (or LINGER has passed), so that no request byte left unread makes a reset.
static void
serve(int c, const struct net_addr *peer)
{
  char ip[16], line[80];
  long len = read_head(c);
  int i, status;

  for (i = 0; len > 0 && i < (int)sizeof(line) - 1 && head[i] != '\r' && head[i] != '\n'; i++)
    line[i] = head[i];
  line[i] = '\0';
  status = answer(c, len);
  printf("httpd: %s \"%s\" %d\n", inet_format(peer->ip, ip), line, status);
  shutdown(c);
  while (net_poll(c, NET_POLLIN, LINGER) > 0 && recv(c, body, sizeof(body), 0) > 0)
    ;
  closesocket(c);
}

int
main(int argc, char *argv[])
{
  struct net_addr addr = {0, 80}, peer;
  long count;
  int s, r;

  argc = proc_args(argc, &argv);
  if (argc > 3 || proc_fsd() == 0 || proc_netd() == 0) {
    printf("usage: httpd -N NETD -F FSD [PORT [COUNT]]\n");
    return 2;
  }
  if (argc > 1)
    addr.port = (int)strtol(argv[1], 0, 0);
  count = argc > 2 ? strtol(argv[2], 0, 0) : -1;
  s = socket(SOCK_STREAM);
  if (s < 0 || (r = bind(s, &addr)) < 0 || (r = listen(s, 4)) < 0) {
    printf("httpd: cannot listen on port %d: %s (error %d)\n", addr.port, net_strerror(s < 0 ? s : r), s < 0 ? s : r);
    return 1;
  }
  printf("httpd: serving /www on port %d\n", addr.port);
  console_flush();
  for (long i = 0; count < 0 || i < count; i++) {
    int c = accept(s, &peer);
    if (c < 0) {
      printf("httpd: accept: %s (error %d)\n", net_strerror(c), c);
      return 1;
    }
    serve(c, &peer);
  }
  closesocket(s);
  return 0;
}
