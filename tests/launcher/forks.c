/* SPDX-License-Identifier: MIT */
/*
 * A program whose forked child has the data race, for the launcher's
 * end-to-end tests: the parent starts no goroutine and reports nothing;
 * its child runs two racing goroutines. The child's report must reach
 * the launcher all the same, through the inherited GOSAN_OPTIONS.
 *
 *   forks wait     the parent waits for the child, then exits 0
 *   forks orphan   the parent exits 0 at once; the child races a little
 *                  later, after it has been orphaned
 */
#include <gosan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int counter;
static go_wg wg;

static void increment(void *arg)
{
    (void)arg;
    counter++; /* the child's two goroutines race here */
    go_wg_done(&wg);
}

static void child(bool orphan)
{
    if (orphan) {
        /* Outlive the parent (a pipe from it would do, but the parent
         * is gone: poll until we are reparented). */
        pid_t parent = getppid();
        for (int i = 0; i < 500 && getppid() == parent; i++)
            usleep(10000);
    }
    go_wg_add(&wg, 2);
    go(increment, NULL);
    go(increment, NULL);
    go_wg_wait(&wg);
    exit(0);
}

int main(int argc, char **argv)
{
    bool orphan = argc > 1 && !strcmp(argv[1], "orphan");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0)
        child(orphan);
    if (orphan)
        return 0;
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return 1;
    fprintf(stderr, "forks: child %s\n",
            WIFEXITED(status) && WEXITSTATUS(status) == 66 ? "reported"
                                                            : "was clean");
    return 0;
}
