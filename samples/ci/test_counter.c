/* test_counter.c - the project's test suite: what CI runs under connleak. */
#include <stdio.h>

#include "counter.h"

int main(void)
{
    int failed = vendor_healthcheck() != 0;
    for (int i = 0; i < 3; i++) failed |= counter_fetch(i) != i + 1;
    puts(failed ? "test_counter: FAILED" : "test_counter: ok");
    return failed;
}
