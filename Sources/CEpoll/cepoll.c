#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <sys/socket.h>
#include "cepoll.h"

int cepoll_accept_nonblocking(int fd) {
    return accept4(fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void cepoll_set_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }

unsigned int cepoll_event_events(const struct epoll_event *ev) { return ev->events; }

unsigned long long cepoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }

int cepoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int cepoll_tune_malloc(int arenas, int trim_bytes) {
    return mallopt(M_ARENA_MAX, arenas) == 1 && mallopt(M_TRIM_THRESHOLD, trim_bytes) == 1;
}
