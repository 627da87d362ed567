/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_unlock_of_unlocked: one unlock on every path.
 *
 * EXPECT-EXIT: 0
 * EXPECT: items = 1
 * EXPECT-NOT: unlock of unlocked
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex mu;
static int items;

static __attribute__((noinline)) int add_item(int v)
{
    go_mutex_lock(&mu);
    if (v >= 0)
        items++;
    go_mutex_unlock(&mu);
    return v < 0 ? -1 : 0;
}

int main(void)
{
    add_item(1);
    add_item(-1);
    printf("items = %d\n", items);
    return 0;
}
