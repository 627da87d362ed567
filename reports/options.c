/* SPDX-License-Identifier: MIT */
/*
 * This file implements GOSAN_OPTIONS: the one parser for every option of
 * the runtime and the detector, generated from flags.inc.
 *
 * Precedence, lowest first: the defaults in flags.inc, the string returned
 * by a weak gosan_default_options() that a program may define (TSan's
 * __tsan_default_options), then the environment variable. A bad option is
 * a fatal error at start-up rather than a warning: a typo in CI should fail
 * loudly, not silently run with defaults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "reports.h"

__attribute__((weak)) const char *gosan_default_options(void);

static struct rep_options options;
static pthread_once_t options_once = PTHREAD_ONCE_INIT;

void rep_options_defaults(struct rep_options *o)
{
#define GOSAN_FLAG(type, name, def, desc) o->name = (rep_flag_##type)(def);
#include "flags.inc"
#undef GOSAN_FLAG
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no")) {
        *out = false;
        return 0;
    }
    return -EINVAL;
}

static int parse_u64(const char *v, uint64_t *out, bool allow_suffix)
{
    char *end;
    errno = 0;
    if (*v == '\0' || *v == '-')
        return -EINVAL;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno)
        return -EINVAL;
    uint64_t mult = 1;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'k': case 'K': mult = 1ull << 10; break;
        case 'm': case 'M': mult = 1ull << 20; break;
        case 'g': case 'G': mult = 1ull << 30; break;
        default: return -EINVAL;
        }
        end++;
        if (*end == 'b' || *end == 'B')
            end++;
    }
    if (*end)
        return -EINVAL;
    if (x > UINT64_MAX / mult)
        return -EINVAL;
    *out = x * mult;
    return 0;
}

static int parse_int(const char *v, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 0);
    if (errno || *v == '\0' || *end || x < -2147483647L || x > 2147483647L)
        return -EINVAL;
    *out = (int)x;
    return 0;
}

static int set_bool(bool *f, const char *v) { return parse_bool(v, f); }
static int set_int(int *f, const char *v) { return parse_int(v, f); }
static int set_u64(uint64_t *f, const char *v) { return parse_u64(v, f, false); }
static int set_size(size_t *f, const char *v)
{
    uint64_t x;
    int err = parse_u64(v, &x, true);
    if (!err)
        *f = (size_t)x;
    return err;
}
static int set_string(const char **f, const char *v)
{
    char *copy = strdup(v);
    if (!copy)
        return -ENOMEM;
    *f = copy;
    return 0;
}

/* apply_one sets key to value. Returns 0, -ENOENT for an unknown key or
 * -EINVAL for a bad value. */
static int apply_one(struct rep_options *o, const char *key, const char *value)
{
#define GOSAN_FLAG(type, name, def, desc) \
    if (!strcmp(key, #name))              \
        return set_##type(&o->name, value);
#include "flags.inc"
#undef GOSAN_FLAG
    return -ENOENT;
}

static const char *type_hint(const char *key)
{
#define GOSAN_FLAG(type, name, def, desc) \
    if (!strcmp(key, #name))              \
        return #type;
#include "flags.inc"
#undef GOSAN_FLAG
    return "?";
}

int rep_options_parse(struct rep_options *o, const char *text, char *err,
                      size_t errlen)
{
    if (!text)
        return 0;
    char *copy = strdup(text);
    if (!copy)
        return -ENOMEM;
    int result = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ": \t\n", &save); tok;
         tok = strtok_r(NULL, ": \t\n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "'%s' is not of the form key=value", tok);
            result = -EINVAL;
            break;
        }
        *eq = '\0';
        int r = apply_one(o, tok, eq + 1);
        if (r == -ENOENT) {
            snprintf(err, errlen, "unknown option '%s' (gosan --help-options "
                     "lists them)", tok);
            result = -EINVAL;
            break;
        }
        if (r) {
            snprintf(err, errlen, "bad value '%s' for option '%s' (%s "
                     "expected)", eq + 1, tok, type_hint(tok));
            result = -EINVAL;
            break;
        }
    }
    free(copy);
    return result;
}

static void parse_or_die(const char *what, const char *text)
{
    char err[256];
    if (rep_options_parse(&options, text, err, sizeof err) == 0)
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "gosan: %s: %s\n", what, err);
    if (write(2, line, (size_t)n) < 0) {
        /* nothing left to tell */
    }
    _exit(2);
}

static void options_init(void)
{
    rep_options_defaults(&options);
    if (gosan_default_options)
        parse_or_die("gosan_default_options()", gosan_default_options());
    parse_or_die("GOSAN_OPTIONS", getenv("GOSAN_OPTIONS"));
}

const struct rep_options *rep_options(void)
{
    pthread_once(&options_once, options_init);
    return &options;
}

void rep_options_help(FILE *f)
{
    fprintf(f, "GOSAN_OPTIONS=key=value:key=value...\n\n");
#define GOSAN_FLAG(type, name, def, desc) \
    fprintf(f, "  %-20s %-7s default %-10s %s\n", #name, #type, #def, desc);
#include "flags.inc"
#undef GOSAN_FLAG
}
