/*
 * escape-attempt-write - escape-attempt's program, run with a victim that
 * tries write(2) on the host's stdout. It is a demo of its own only because
 * its manifest and test differ (--fast mode does not confine write; see
 * ../escape-attempt/main.c and tests/integration/escape-attempt-write).
 */
#include "../escape-attempt/main.c"
