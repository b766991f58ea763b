/*
 * churn-valgrind - the churn demo (user/demos/churn), built again so that
 * its own manifest can run it with fewer children: under valgrind (the
 * valgrind mode of tests/integration/churn-valgrind) each spawn costs tens
 * of milliseconds, and 2000 of them would not fit the test's time limit.
 * The manifest chooses the count; the program is the same.
 */
#include "../churn/churn.c"
