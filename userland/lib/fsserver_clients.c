// fsserver_clients.c: the file server's table of clients, each with its descriptors (see
// <lamina/fsserver.h>). A client gets a slot with its first open file and gives it back
// with its last; the table grows as clients come. The requests are fsserver.c's.

#include <stdlib.h>
#include <string.h>
#include <lamina/fsserver.h>

#define FIRST_CLIENT_SLOTS 8  // the client table's size when it is first made

// The client slot of id, or NULL if it has none.
struct fs_client *
fs_client_find(struct fs_server *srv, long id)
{
  for (int i = 0; i < srv->nclients; i++) {
    if (srv->clients[i].id == id)
      return &srv->clients[i];
  }
  return NULL;
}

// Double the client table (the new slots are free). 0 or -ENOMEM.
static long
clients_grow(struct fs_server *srv)
{
  int n = srv->nclients ? 2 * srv->nclients : FIRST_CLIENT_SLOTS;
  struct fs_client *grown = realloc(srv->clients, (size_t)n * sizeof(*grown));

  if (grown == NULL)
    return -ENOMEM;
  memset(grown + srv->nclients, 0, (size_t)(n - srv->nclients) * sizeof(*grown));
  srv->clients = grown;
  srv->nclients = n;
  return 0;
}

// A free client slot: a free one, or one of a client that has ended (which a client
// that is killed never gives back itself), or a new one. NULL if memory is out.
static struct fs_client *
client_slot(struct fs_server *srv)
{
  struct fs_client *c = fs_client_find(srv, 0);

  if (c == NULL) {
    fsserver_reap(srv);
    c = fs_client_find(srv, 0);
  }
  if (c == NULL && clients_grow(srv) == 0)
    c = fs_client_find(srv, 0);
  return c;
}

// The open file fd of the requesting client, or NULL if fd is not one of its.
struct fs_open_file *
fs_file_of(struct fs_server *srv, const struct fs_request *req, unsigned long fd)
{
  struct fs_client *c = fs_client_find(srv, req->client);

  if (c == NULL || fd >= FS_MAX_FDS || !c->fds[fd].used)
    return NULL;
  return &c->fds[fd];
}

// A free descriptor of the requesting client (taking a client slot if it had none),
// in *fd. 0, -EMFILE (it holds FS_MAX_FDS already) or -ENFILE (the server's memory
// cannot hold one more client).
long
fs_fd_alloc(struct fs_server *srv, const struct fs_request *req, struct fs_client **cp, long *fd)
{
  struct fs_client *c = fs_client_find(srv, req->client);

  if (c == NULL) {
    c = client_slot(srv);
    if (c == NULL)
      return -ENFILE;
    memset(c, 0, sizeof(*c));
    c->id = req->client;
  }
  for (long i = 0; i < FS_MAX_FDS; i++) {
    if (!c->fds[i].used) {
      *cp = c;
      *fd = i;
      return 0;
    }
  }
  return -EMFILE;
}
