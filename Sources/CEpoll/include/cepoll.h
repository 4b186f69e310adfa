#ifndef CEPOLL_H
#define CEPOLL_H
// Exposes epoll and eventfd to Swift (Glibc's module map lacks them), two calls that need
// _GNU_SOURCE, which is defined only in cepoll.c so these headers match Glibc's module, and
// mallopt (malloc.h is not in Glibc's module either).
#include <sys/epoll.h>
#include <sys/eventfd.h>

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; returns the new fd or -1 (errno set).
int cepoll_accept_nonblocking(int fd);
/// Names the calling thread (at most 15 bytes are kept).
void cepoll_set_thread_name(const char *name);
/// The events field of an epoll_event (a packed struct Swift reads awkwardly).
unsigned int cepoll_event_events(const struct epoll_event *ev);
/// The data.u64 field of an epoll_event.
unsigned long long cepoll_event_data(const struct epoll_event *ev);
/// epoll_ctl with a u64 payload.
int cepoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long data);
/// mallopt(M_ARENA_MAX, arenas) and mallopt(M_TRIM_THRESHOLD, trim_bytes); 1 when both took.
int cepoll_tune_malloc(int arenas, int trim_bytes);
#endif
