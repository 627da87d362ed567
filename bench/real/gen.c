/* SPDX-License-Identifier: MIT */
/*
 * gen: deterministic, mixed-compressibility input for bench/real/run.sh.
 *
 *   gen SIZE_MIB SEED > file
 *
 * The output is a sequence of chunks (1 to 64 KiB each), each one of:
 * English-like text drawn from a small vocabulary with a skewed
 * distribution (compresses well), CSV-like numeric records (compresses
 * moderately), runs of a repeated byte pattern (compresses very well) and
 * pseudo-random bytes (does not compress). The same SIZE and SEED always
 * give the same bytes (xorshift64*, no libc rand).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned below(unsigned n)
{
    return (unsigned)((rng() >> 32) % n);
}

static const char *const words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as",
    "was", "with", "be", "by", "on", "not", "he", "this", "are", "or", "his",
    "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
    "their", "one", "all", "we", "can", "her", "has", "there", "been", "if",
    "more", "when", "will", "would", "who", "so", "no", "goroutine", "channel",
    "mutex", "thread", "deadlock", "compression", "buffer", "window",
    "dictionary", "entropy", "scheduler", "happens-before", "detector",
};
#define NWORDS (sizeof words / sizeof words[0])

static size_t text(char *out, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* Skewed: the product of two uniform draws favours low indexes. */
        unsigned w = below(NWORDS) * below(NWORDS) / NWORDS;
        size_t len = strlen(words[w]);
        if (i + len + 2 > n)
            break;
        memcpy(out + i, words[w], len);
        i += len;
        out[i++] = below(12) == 0 ? '\n' : ' ';
    }
    while (i < n)
        out[i++] = '.';
    return n;
}

static size_t records(char *out, size_t n)
{
    size_t i = 0;
    char line[96];
    while (i < n) {
        int len = snprintf(line, sizeof line, "%u,%u.%02u,%s,%u\n",
                           100000 + below(900000), below(10000), below(100),
                           words[below(NWORDS)], below(65536));
        if (i + (size_t)len > n)
            break;
        memcpy(out + i, line, (size_t)len);
        i += (size_t)len;
    }
    while (i < n)
        out[i++] = '\n';
    return n;
}

static size_t pattern(char *out, size_t n)
{
    char pat[16];
    unsigned plen = 1 + below(sizeof pat);
    for (unsigned k = 0; k < plen; k++)
        pat[k] = (char)rng();
    for (size_t i = 0; i < n; i++)
        out[i] = pat[i % plen];
    return n;
}

static size_t noise(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(rng() >> 56);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen SIZE_MIB SEED > file\n");
        return 2;
    }
    unsigned long long total = strtoull(argv[1], NULL, 10) << 20;
    rng_state = strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
    static char buf[64 << 10];
    while (total) {
        size_t n = 1024 + below(sizeof buf - 1024 + 1);
        if (n > total)
            n = (size_t)total;
        unsigned kind = below(100);
        if (kind < 55)
            text(buf, n);          /* 55%: text */
        else if (kind < 80)
            records(buf, n);       /* 25%: records */
        else if (kind < 90)
            pattern(buf, n);       /* 10%: repeated pattern */
        else
            noise(buf, n);         /* 10%: random bytes */
        if (fwrite(buf, 1, n, stdout) != n) {
            perror("gen: write");
            return 1;
        }
        total -= n;
    }
    return fflush(stdout) ? 1 : 0;
}
