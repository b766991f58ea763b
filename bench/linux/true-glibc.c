/* The static glibc trivial program (spawn_glibc baseline). */
int main(void);

int main(void) { return 0; }
