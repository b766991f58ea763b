/*
 * bench-true - the trivial program the spawn benchmark starts: it only
 * returns 0 (libcapos's start-up, then exit).
 */
int main(void);

int main(void) { return 0; }
