/* lamina/fsserver.h: the file service's requests, carried out on an ext2 file system
 * (userland/lib/fsserver.c), for the server program fsd.
 *
 * This part knows the protocol (<lamina/fsproto.h>) and the clients' descriptor
 * tables but no system call: fsd receives a message, describes it as a struct
 * fs_request, and sends back the reply words fsserver_handle fills in. Every field of
 * a request is checked here; a bad request gets -errno and changes nothing.
 */
#ifndef LAMINA_FSSERVER_H
#define LAMINA_FSSERVER_H

#include <stdint.h>
#include <lamina/ext2.h>
#include <lamina/fsproto.h>

/* One request, as fsd received it. */
struct fs_request {
  long client;  /* the sender's domain id */
  unsigned long w[IPC_WORDS];  /* the message words: w[0] is the FS_* code */
  uint8_t *page;  /* the client's page as mapped in the server, or NULL */
  int page_writable;  /* the client let the server write into the page */
};

/* An open file of a client. */
struct fs_open_file {
  uint8_t used;
  uint32_t ino;
  uint32_t flags;  /* FS_O_* it was opened with */
  uint64_t offset;  /* for a directory: the position in its entries */
};

/* The descriptor table of one client (id 0: the slot is free). Each client may hold
 * FS_MAX_FDS files open: a limit per client, so no client can use up the server. */
struct fs_client {
  long id;
  int nopen;
  struct fs_open_file fds[FS_MAX_FDS];
};

/* The server's state. */
struct fs_server {
  struct ext2_fs *fs;  /* NULL once unmounted */
  struct fs_client *clients;  /* the clients holding descriptors: a table that grows */
  int nclients;  /* its slots, used (id != 0) or free */
  int (*client_gone)(long id);  /* the server's: has this client ended? (may be NULL) */
  int shutdown;  /* FS_SHUTDOWN was asked: reply, then end */
  int dirty;  /* something changed since the last FS_SYNC */
  char path1[FS_PATH_MAX + 1];  /* private copies of the request's paths */
  char path2[FS_PATH_MAX + 1];
};

/* Carry out req on srv and fill reply (reply[0]: the result or -errno). After an
 * FS_SHUTDOWN the file system is unmounted (srv->fs is NULL) and every later request
 * gets -EIO. */
void fsserver_handle(struct fs_server *srv, const struct fs_request *req, unsigned long reply[IPC_WORDS]);

/* Close every descriptor of a client that has gone away, and free its slot. */
void fsserver_forget(struct fs_server *srv, long client);

/* Forget every client that srv->client_gone says has ended. */
void fsserver_reap(struct fs_server *srv);

/* The client table (fsserver_clients.c), for the server's requests. */

/* The client slot of id, or NULL if it has none. */
struct fs_client *fs_client_find(struct fs_server *srv, long id);

/* The open file fd of the requesting client, or NULL if fd is not one of its. */
struct fs_open_file *fs_file_of(struct fs_server *srv, const struct fs_request *req, unsigned long fd);

/* A free descriptor of the requesting client (taking a client slot if it had none), in
 * *fd, its client in *cp. 0, -EMFILE or -ENFILE. */
long fs_fd_alloc(struct fs_server *srv, const struct fs_request *req, struct fs_client **cp, long *fd);

#endif /* LAMINA_FSSERVER_H */
