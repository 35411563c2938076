/*
 * mqtt_loadgen — the device side of bench/devices_ingest.py, in C so that the load generator
 * costs little of the machine it shares with the platform. N ThingsBoard-style devices
 * (username = token), each publishing ~100-byte telemetry with 3 data points to
 * v1/devices/me/telemetry at QoS 1 at a fixed rate, up to 20 unacknowledged messages each,
 * all driven from one thread with epoll.
 *
 *   mqtt_loadgen <port> <tokens-file> <rate-per-device> <seconds> <start-epoch-ms>
 *
 * Prints {"published": <acknowledged>, "attempted": <n>, "failed": <n>} on stdout.
 * Build: gcc -O2 -o mqtt_loadgen mqtt_loadgen.c -lmosquitto
 */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct device { struct mosquitto *m; long long next_ms; long long last_ts; int inflight; };
static long long acked = 0;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	(void)m; (void)mid;
	struct device *d = obj;
	d->inflight--;
	acked++;
}

int main(int argc, char **argv)
{
	if (argc != 6) { fprintf(stderr, "usage: %s port tokens rate seconds start_ms\n", argv[0]); return 2; }
	int port = atoi(argv[1]);
	double rate = atof(argv[3]);
	long long seconds = atoll(argv[4]);
	long long start_ms = atoll(argv[5]);
	FILE *f = fopen(argv[2], "r");
	if (!f) { perror("tokens"); return 2; }
	char line[256];
	int n = 0, cap = 1024;
	struct device *devs = calloc(cap, sizeof(*devs));
	mosquitto_lib_init();
	int ep = epoll_create1(0);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0]) continue;
		if (n == cap) { cap *= 2; devs = realloc(devs, cap * sizeof(*devs)); }
		struct device *d = &devs[n];
		memset(d, 0, sizeof(*d));
		char id[64];
		snprintf(id, sizeof(id), "lg-%d-%d", getpid(), n);
		d->m = mosquitto_new(id, true, d);
		mosquitto_username_pw_set(d->m, line, NULL);
		mosquitto_max_inflight_messages_set(d->m, 20);
		mosquitto_publish_callback_set(d->m, on_publish);
		if (mosquitto_connect(d->m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) { fprintf(stderr, "connect failed\n"); return 1; }
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = d };
		epoll_ctl(ep, EPOLL_CTL_ADD, mosquitto_socket(d->m), &ev);
		d->next_ms = start_ms + (long long)(rand() % (int)(1000.0 / rate + 1));
		n++;
	}
	fclose(f);
	long long attempted = 0, failed = 0, end_ms = start_ms + seconds * 1000, last_misc = 0;
	long long period = (long long)(1000.0 / rate);
	struct epoll_event events[256];
	char payload[160];
	srand(42);
	for (;;) {
		long long now = now_ms();
		if (now >= end_ms && acked + failed >= attempted) break;
		if (now >= end_ms + 30000) break;
		if (now < end_ms) {
			for (int i = 0; i < n; i++) {
				struct device *d = &devs[i];
				if (now < d->next_ms || d->inflight >= 20) continue;
				long long ts = now > d->last_ts ? now : d->last_ts + 1;
				d->last_ts = ts;
				int len = snprintf(payload, sizeof(payload),
					"{\"ts\":%lld,\"values\":{\"temperature\":%.2f,\"humidity\":%.2f,\"pm25\":%.1f}}",
					ts, 15 + (rand() % 1500) / 100.0, 30 + (rand() % 4000) / 100.0, 5 + (rand() % 750) / 10.0);
				attempted++;
				if (mosquitto_publish(d->m, NULL, "v1/devices/me/telemetry", len, payload, 1, false) == MOSQ_ERR_SUCCESS) d->inflight++;
				else failed++;
				d->next_ms += period;
			}
		}
		for (int i = 0; i < n; i++) {
			if (mosquitto_want_write(devs[i].m)) mosquitto_loop_write(devs[i].m, 1);
		}
		int k = epoll_wait(ep, events, 256, 2);
		for (int i = 0; i < k; i++) {
			struct device *d = events[i].data.ptr;
			if (mosquitto_loop_read(d->m, 1) != MOSQ_ERR_SUCCESS) mosquitto_reconnect(d->m);
		}
		if (now - last_misc > 1000) {
			for (int i = 0; i < n; i++) mosquitto_loop_misc(devs[i].m);
			last_misc = now;
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("{\"published\": %lld, \"attempted\": %lld, \"failed\": %lld, \"cpu_s\": %.2f}\n", acked, attempted, failed, cpu);
	for (int i = 0; i < n; i++) { mosquitto_disconnect(devs[i].m); mosquitto_destroy(devs[i].m); }
	mosquitto_lib_cleanup();
	return 0;
}
