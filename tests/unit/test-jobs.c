/* Unit tests for lib/jobs.c: items come back in submission order however
 * long their work takes, items without work keep their place, and the
 * workers really run at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "jobs.h"
#include "tap.h"

#define N 40

typedef struct Item {
    int n;
    int run;
    int worked;
} Item;

static int order[N], norder;
static atomic_int running, max_running;

static void work(void *arg, void *ctx)
{
    Item *it = arg;
    int r = atomic_fetch_add(&running, 1) + 1, m;
    while ((m = atomic_load(&max_running)) < r && !atomic_compare_exchange_weak(&max_running, &m, r))
        ;
    usleep((useconds_t)((N - it->n) % 7) * 1000);   /* later items often finish first */
    it->worked = 1;
    atomic_fetch_sub(&running, 1);
}

static void emit(void *arg, void *ctx)
{
    Item *it = arg;
    order[norder++] = it->n;
}

int main(void)
{
    static Item items[N];
    Jobs *j = NULL;
    int i, in_order = 1, worked = 1;

    is_int(jobs_new(&j, 4, 6, work, emit, NULL), 0, "jobs_new");
    for (i = 0; i < N; i++) {
        items[i].n = i;
        items[i].run = i % 5 != 4;          /* every fifth is an "end record" */
        if (jobs_submit(j, &items[i], items[i].run) < 0)
            break;
    }
    jobs_free(&j);
    ok(j == NULL, "jobs_free clears the pointer");
    is_int(norder, N, "every item is done once");
    for (i = 0; i < norder; i++)
        in_order &= order[i] == i;
    ok(in_order, "done in submission order");
    for (i = 0; i < N; i++)
        worked &= items[i].worked == items[i].run;
    ok(worked, "work ran exactly for the items with work");
    ok(atomic_load(&max_running) > 1, "workers ran at once (at most %d)", atomic_load(&max_running));
    ok(atomic_load(&max_running) <= 4, "never more than 4 at once");
    jobs_free(&j);
    ok(1, "jobs_free(NULL) is fine");
    return done();
}
