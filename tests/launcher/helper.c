/* SPDX-License-Identifier: MIT */
/*
 * An uninstrumented program for the launcher's end-to-end tests; what it
 * does is chosen by its arguments, one action after another:
 *
 *   exit N       exit with status N
 *   signal N     kill itself with signal N
 *   sleep MS     sleep MS milliseconds
 *   stderr N     write N bytes to stderr ("0123456789" repeated), then
 *                a newline and "END-OF-STDERR\n"
 *   say TEXT     write TEXT and a newline to stderr
 *   nasty        write XML-hostile bytes to stderr
 *   cat          copy stdin to stdout
 *   env NAME     print NAME's value (or "(unset)") to stdout
 *   spawn MS     fork a child that sleeps MS milliseconds, keeping
 *                stderr open, and do not wait for it
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts))
        ;
}

static void put_stderr(long n)
{
    char buf[4096];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)('0' + i % 10);
    while (n > 0) {
        size_t chunk = n > (long)sizeof buf ? sizeof buf : (size_t)n;
        if (fwrite(buf, 1, chunk, stderr) != chunk)
            exit(1);
        n -= (long)chunk;
    }
    fputs("\nEND-OF-STDERR\n", stderr);
}

static void nasty(void)
{
    /* Markup, a CDATA end, a control byte, invalid UTF-8, an ANSI colour,
     * a carriage return, and valid non-ASCII text. */
    static const char text[] =
        "<tag attr=\"v\"> & 'q' ]]> \x01\x02 bad:\xff\xc3( "
        "\x1b[31mred\x1b[0m crlf\r\n caf\xc3\xa9 \xe2\x82\xac\n";
    fwrite(text, 1, sizeof text - 1, stderr);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        if (!strcmp(a, "exit"))
            exit(atoi(v));
        else if (!strcmp(a, "signal"))
            signal(atoi(v), SIG_DFL), raise(atoi(v));
        else if (!strcmp(a, "sleep"))
            sleep_ms(atol(v)), i++;
        else if (!strcmp(a, "stderr"))
            put_stderr(atol(v)), i++;
        else if (!strcmp(a, "say"))
            fprintf(stderr, "%s\n", v), i++;
        else if (!strcmp(a, "nasty"))
            nasty();
        else if (!strcmp(a, "env")) {
            const char *val = getenv(v);
            printf("%s\n", val ? val : "(unset)");
            i++;
        } else if (!strcmp(a, "cat")) {
            int c;
            while ((c = getchar()) != EOF)
                putchar(c);
        } else if (!strcmp(a, "spawn")) {
            fflush(NULL);
            if (fork() == 0) {
                sleep_ms(atol(v));
                _exit(0);
            }
            i++;
        } else {
            fprintf(stderr, "helper: unknown action '%s'\n", a);
            return 100;
        }
    }
    return 0;
}
