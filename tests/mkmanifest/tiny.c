/* A minimal freestanding static-PIE program: mkmanifest's test input. It is
 * never run; it only has to be a well-formed user binary (with a relocation,
 * TLS and RELRO, like real programs). */
static int value = 1;
int *value_ptr = &value;
__thread int tls_value = 2;

void _start(void)
{
	for (;;)
		value += *value_ptr + tls_value;
}
