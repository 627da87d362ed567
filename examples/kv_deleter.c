/* SPDX-License-Identifier: MIT */
/*
 * This file implements the KV-store key deleter: a list of keys is deleted
 * from a store by a pool of workers, and the errors are gathered by a
 * collector goroutine. Two WaitGroups order the shutdown: once every
 * worker is done nobody sends errors any more, so errc can be closed;
 * once the collector is done its slice of errors is complete and safe to
 * read. The error channel is bounded by the number of workers: the
 * collector drains it concurrently, so a worker waits at most briefly and
 * memory use does not grow with the number of keys.
 *
 * The Go program it mirrors:
 *
 *     errc := make(chan error, numWorkers)
 *     var errs []error
 *     var workersWG, collectorWG sync.WaitGroup
 *     collectorWG.Add(1)
 *     go func() {
 *         defer collectorWG.Done()
 *         for err := range errc { errs = append(errs, err) }
 *     }()
 *     keys := make(chan string)
 *     for i := 0; i < numWorkers; i++ {
 *         workersWG.Add(1)
 *         go func() {
 *             defer workersWG.Done()
 *             for k := range keys {
 *                 if err := store.Delete(k); err != nil { errc <- err }
 *             }
 *         }()
 *     }
 *     for _, k := range toDelete { keys <- k }
 *     close(keys)
 *     workersWG.Wait()
 *     close(errc)
 *     collectorWG.Wait()
 *
 * The store is guarded by an RWMutex. Some deletes fail on purpose: keys
 * that never existed, a read-only key, and a key listed twice (exactly one
 * of the two deletes must fail). The program checks exactly which keys
 * are left and which errors were collected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

enum { NUM_WORKERS = 4, NUM_KEYS = 32, MAX_ERRS = 16 };
enum { KV_OK = 0, KV_NOT_FOUND = 1, KV_READ_ONLY = 2 };

/* The fake store: keys "key-00" .. "key-31"; mu guards every entry. */
struct kv {
    go_rwmutex mu;
    struct {
        char key[8];
        bool present;   /* false once deleted */
        bool read_only; /* deletes fail with KV_READ_ONLY */
    } e[NUM_KEYS];
};

struct kv_error {
    const char *key;
    int code; /* KV_NOT_FOUND or KV_READ_ONLY */
};

static struct kv store;

static int kv_delete(struct kv *s, const char *key)
{
    int err = KV_NOT_FOUND;
    go_rwmutex_lock(&s->mu);
    for (int i = 0; i < NUM_KEYS; i++) {
        if (!s->e[i].present || strcmp(s->e[i].key, key) != 0)
            continue;
        err = s->e[i].read_only ? KV_READ_ONLY : KV_OK;
        if (err == KV_OK)
            s->e[i].present = false;
        break;
    }
    go_rwmutex_unlock(&s->mu);
    return err;
}

static bool kv_has(struct kv *s, int i)
{
    go_rwmutex_rlock(&s->mu);
    bool present = s->e[i].present;
    go_rwmutex_runlock(&s->mu);
    return present;
}

/* The deleter's channels, WaitGroups and the collector's result. */
static go_chan *keys; /* const char *; closed by main */
static go_chan *errc; /* struct kv_error; cap NUM_WORKERS; closed by main */
static go_wg workers_wg, collector_wg;
static struct kv_error errs[MAX_ERRS]; /* written by the collector only */
static int nerrs;

static void worker(void *arg)
{
    (void)arg;
    const char *key;
    while (go_chan_recv(keys, &key)) {
        int code = kv_delete(&store, key);
        if (code != KV_OK)
            go_chan_send(errc, &(struct kv_error){key, code});
    }
    go_wg_done(&workers_wg);
}

static void collector(void *arg)
{
    (void)arg;
    struct kv_error e;
    while (go_chan_recv(errc, &e))
        if (nerrs < MAX_ERRS)
            errs[nerrs++] = e;
    go_wg_done(&collector_wg);
}

static int cmp_err(const void *a, const void *b)
{
    return strcmp(((const struct kv_error *)a)->key,
                  ((const struct kv_error *)b)->key);
}

static int fail(const char *what, const char *key, int got, int want)
{
    fprintf(stderr, "kv_deleter: FAIL: %s %s: got %d, want %d\n", what, key,
            got, want);
    return 1;
}

int main(void)
{
    /* Every even key, plus the failures: 07 is read-only, 10 is listed
     * twice, 42 and 99 do not exist. The expected errors are sorted. */
    static const char *to_delete[] = {
        "key-00", "key-02", "key-04", "key-06", "key-07", "key-08", "key-10",
        "key-12", "key-14", "key-99", "key-16", "key-18", "key-10", "key-20",
        "key-22", "key-24", "key-42", "key-26", "key-28", "key-30",
    };
    static const struct kv_error want_errs[] = {
        {"key-07", KV_READ_ONLY},
        {"key-10", KV_NOT_FOUND},
        {"key-42", KV_NOT_FOUND},
        {"key-99", KV_NOT_FOUND},
    };
    const int nwant = sizeof want_errs / sizeof want_errs[0];

    for (int i = 0; i < NUM_KEYS; i++) {
        snprintf(store.e[i].key, sizeof store.e[i].key, "key-%02d", i);
        store.e[i].present = true;
        store.e[i].read_only = i == 7;
    }
    keys = go_chan_make(sizeof(const char *), 0);
    errc = go_chan_make(sizeof(struct kv_error), NUM_WORKERS);

    /* The collector first, then the workers, then feed the keys. */
    go_wg_add(&collector_wg, 1);
    go(collector, NULL);
    for (int i = 0; i < NUM_WORKERS; i++) {
        go_wg_add(&workers_wg, 1);
        go(worker, NULL);
    }
    for (size_t i = 0; i < sizeof to_delete / sizeof to_delete[0]; i++)
        go_chan_send(keys, &to_delete[i]);
    go_chan_close(keys);

    /* Shut down in order: workers, then errc, then the collector. */
    go_wg_wait(&workers_wg);
    go_chan_close(errc);
    go_wg_wait(&collector_wg);

    /* Exactly the expected errors, in any order. */
    if (nerrs != nwant)
        return fail("number of errors", "", nerrs, nwant);
    qsort(errs, (size_t)nerrs, sizeof errs[0], cmp_err);
    for (int i = 0; i < nwant; i++) {
        if (strcmp(errs[i].key, want_errs[i].key) != 0)
            return fail("unexpected error for", errs[i].key, errs[i].code, 0);
        if (errs[i].code != want_errs[i].code)
            return fail("error code for", errs[i].key, errs[i].code,
                        want_errs[i].code);
    }
    /* Odd keys and the read-only one survive; the even ones are gone. */
    for (int i = 0; i < NUM_KEYS; i++)
        if (kv_has(&store, i) != (i % 2 == 1))
            return fail("presence of", store.e[i].key, kv_has(&store, i),
                        i % 2 == 1);

    go_chan_free(keys);
    go_chan_free(errc);
    printf("kv_deleter: %zu deletes by %d workers, %d errors as expected: "
           "ok\n",
           sizeof to_delete / sizeof to_delete[0], NUM_WORKERS, nerrs);
    return 0;
}
