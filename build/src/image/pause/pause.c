/*
 * The sandbox ("pause") container of airlock's test node: the first container of every pod, which
 * holds the pod's namespaces while the other containers come and go. It does nothing but wait:
 *
 *  - SIGTERM or SIGINT ends it with status 0 (the kubelet stops a sandbox with SIGTERM; without a
 *    handler a signal is ignored by PID 1, so it must be caught, not left to its default);
 *  - SIGCHLD makes it reap every exited child: with a shared PID namespace it is PID 1, and orphans
 *    of the pod's other containers become its children; unreaped they stay zombies;
 *  - `-v` prints the version and exits.
 *
 * The signals are blocked first thing and then taken one at a time with sigwaitinfo(), so no work
 * happens inside a signal handler and no signal is lost or takes its default action. Built with `gcc -static -Os` (build/src/image/pause-image.ts): it runs in an
 * image with no other file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "unknown"
#endif

static void reap_children(void) {
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid > 0) continue;
    if (pid < 0 && errno == EINTR) continue;
    return; /* 0: children left, none exited; -1/ECHILD: no children */
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "-v") == 0) {
    printf("pause %s (airlock)\n", PAUSE_VERSION);
    return 0;
  }
  if (argc != 1) {
    fprintf(stderr, "usage: pause [-v]\n");
    return 2;
  }

  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGINT);
  sigaddset(&waited, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &waited, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }
  if (getpid() != 1) fprintf(stderr, "pause: not PID 1: orphans of other processes are reaped only when it is\n");
  /* Children that exited before the mask was set sent SIGCHLD to nobody. */
  reap_children();

  for (;;) {
    siginfo_t info;
    int signo = sigwaitinfo(&waited, &info);
    if (signo < 0) {
      if (errno == EINTR) continue;
      perror("pause: sigwaitinfo");
      return 1;
    }
    if (signo == SIGCHLD) {
      /* One SIGCHLD may stand for several exited children: reap them all. */
      reap_children();
      continue;
    }
    fprintf(stderr, "pause: %s, exiting\n", strsignal(signo));
    return 0;
  }
}
