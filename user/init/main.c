/*
 * init - the first process: starts the services the manifest marks
 * `start = byInit` (through ProcessSpawner.startService, with the grants the
 * manifest gives them), waits for all of them at once, reports each exit as
 * it happens, and exits 0 if every service exited 0, else 1.
 *
 * It needs a ProcessSpawner named "spawner" and a Console named "console".
 */
#include <capos/capos.h>

#define MAX_SERVICES 64

struct child {
	char name[64];
	cap_id_t handle;
	uint64_t user_data;
	uint8_t answer[320] __attribute__((aligned(8)));
	bool done;
};

static struct child children[MAX_SERVICES];
static int nchildren;

static void note_service(const char *name, void *ud)
{
	(void)ud;
	if (nchildren < MAX_SERVICES) {
		size_t n = strlen(name) < sizeof(children[0].name) - 1 ? strlen(name) : sizeof(children[0].name) - 1;
		memcpy(children[nchildren].name, name, n);
		children[nchildren++].name[n] = '\0';
	}
}

int main(void)
{
	cap_id_t console, spawner;
	if (capset_get("console", &console, NULL))
		return 2;
	if (capset_get("spawner", &spawner, NULL)) {
		console_write_line(console, "init: no ProcessSpawner named 'spawner' was granted");
		return 2;
	}
	int n = process_services(spawner, note_service, NULL);
	if (n < 0) {
		console_printf(console, "init: cannot list the services: %s\n", capos_strerror(n));
		return 2;
	}
	int started = 0;
	for (int i = 0; i < nchildren; i++) {
		struct child *c = &children[i];
		int err = process_start_service(spawner, c->name, &c->handle);
		if (!err)
			err = process_wait_submit(c->handle, c->answer, sizeof(c->answer), &c->user_data);
		if (err) {
			console_printf(console, "init: cannot start %s: %s\n", c->name, capos_strerror(err));
			c->done = true;
			continue;
		}
		console_printf(console, "init: started %s\n", c->name);
		started++;
	}

	int failures = nchildren - started;
	for (int left = started; left > 0;) {
		struct capos_cqe cqe;
		if (!capos_ring_next_cqe(capos_ring(), &cqe)) {
			int64_t r = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
			if (r < 0) {
				console_printf(console, "init: waiting failed: %s\n", capos_strerror((int)r));
				return 2;
			}
			continue;
		}
		for (int i = 0; i < nchildren; i++) {
			struct child *c = &children[i];
			if (c->done || c->user_data != cqe.user_data)
				continue;
			struct capos_exit st;
			int err = process_wait_finish(&cqe, c->answer, sizeof(c->answer), &st);
			c->done = true;
			left--;
			if (err)
				console_printf(console, "init: waiting for %s failed: %s\n", c->name, capos_strerror(err));
			else if (st.how == CAPOS_EXIT_STATUS_WHICH_CODE)
				console_printf(console, "init: %s exited with code %d\n", c->name, st.code);
			else if (st.how == CAPOS_EXIT_STATUS_WHICH_FAULT)
				console_printf(console, "init: %s was faulted: %s\n", c->name, st.fault);
			else
				console_printf(console, "init: %s was killed\n", c->name);
			if (err || st.how != CAPOS_EXIT_STATUS_WHICH_CODE || st.code != 0)
				failures++;
		}
	}
	console_printf(console, "init: all services ended, %d failed\n", failures);
	return failures ? 1 : 0;
}
