/* An ordinary dynamically linked host program: mkmanifest must refuse it. */
#include <stdio.h>

int main(void)
{
	puts("dynamic");
	return 0;
}
