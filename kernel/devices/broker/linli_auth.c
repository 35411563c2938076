/*
 * linli_auth — a Mosquitto 2.0 plugin that lets ThingsBoard-style devices connect unchanged
 * (username = device token, topics v1/devices/me/...) while the broker keeps no token, and
 * the Linli MQTT bridge learns which device published each message.
 *
 *  - Authentication (MOSQ_EVT_BASIC_AUTH): a device is admitted when SHA-256(username) is in
 *    the set of token digests; the bridge is admitted by its own username and password
 *    (plugin_opt_bridge_username / plugin_opt_bridge_password). Everyone else is refused.
 *  - The digest set is managed by the bridge over $CONTROL/linli/v1 (lines "=" reset,
 *    "+<digest>" add, "-<digest>" remove and disconnect at once) and saved to
 *    plugin_opt_state_file, so it survives a broker restart.
 *  - ACL (MOSQ_EVT_ACL_CHECK): a device may publish only v1/devices/me/telemetry,
 *    v1/devices/me/attributes and v1/devices/me/rpc/response/<id>, and read only
 *    v1/devices/me/...; the bridge only linli/... (also as $share/<group>/linli/...) and
 *    $CONTROL/linli/....
 *  - Identity (MOSQ_EVT_MESSAGE): a device's v1/devices/me/<rest> is rewritten to
 *    linli/up/<digest>/<rest>; the bridge's linli/down/<digest>/<rest> is delivered to that
 *    device's connections only, as v1/devices/me/<rest>.
 *
 * Build: gcc -shared -fPIC -O2 -o linli_auth.so linli_auth.c -lcrypto
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define DIGEST_HEX 64
#define DEVICE_PREFIX "v1/devices/me/"
#define CONTROL_TOPIC "$CONTROL/linli/v1"

static mosquitto_plugin_id_t *plugin_id = NULL;
static char *bridge_username = NULL;
static char *bridge_password = NULL;
static char *state_file = NULL;

/* the digest set: a sorted array, binary-searched */
static char (*digests)[DIGEST_HEX + 1] = NULL;
static size_t n_digests = 0, cap_digests = 0;

/* connected device clients: client id -> digest */
struct conn { char *client_id; const struct mosquitto *client; char digest[DIGEST_HEX + 1]; };
static struct conn *conns = NULL;
static size_t n_conns = 0, cap_conns = 0;

static int cmp_digest(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static bool has_digest(const char *d)
{
	return n_digests && bsearch(d, digests, n_digests, sizeof(*digests), cmp_digest) != NULL;
}

static void add_digest(const char *d)
{
	if (strlen(d) != DIGEST_HEX || has_digest(d)) return;
	if (n_digests == cap_digests) {
		cap_digests = cap_digests ? cap_digests * 2 : 1024;
		digests = realloc(digests, cap_digests * sizeof(*digests));
	}
	memcpy(digests[n_digests++], d, DIGEST_HEX + 1);
	qsort(digests, n_digests, sizeof(*digests), cmp_digest);
}

static void kick_digest(const char *d)
{
	for (size_t i = 0; i < n_conns; i++) {
		if (strcmp(conns[i].digest, d) == 0) mosquitto_kick_client_by_clientid(conns[i].client_id, false);
	}
}

static void remove_digest(const char *d)
{
	char (*found)[DIGEST_HEX + 1] = n_digests ? bsearch(d, digests, n_digests, sizeof(*digests), cmp_digest) : NULL;
	if (found) {
		size_t i = (size_t)(found - digests);
		memmove(&digests[i], &digests[i + 1], (n_digests - i - 1) * sizeof(*digests));
		n_digests--;
	}
	kick_digest(d);
}

static void save_state(void)
{
	if (!state_file) return;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", state_file);
	FILE *f = fopen(tmp, "w");
	if (!f) { mosquitto_log_printf(MOSQ_LOG_ERR, "linli_auth: cannot write %s", tmp); return; }
	for (size_t i = 0; i < n_digests; i++) fprintf(f, "%s\n", digests[i]);
	fclose(f);
	rename(tmp, state_file);
}

static void load_state(void)
{
	if (!state_file) return;
	FILE *f = fopen(state_file, "r");
	if (!f) return;
	char line[128];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		add_digest(line);
	}
	fclose(f);
}

static void sha256_hex(const char *s, char out[DIGEST_HEX + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, strlen(s), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) sprintf(out + 2 * i, "%02x", md[i]);
	out[DIGEST_HEX] = 0;
}

static bool is_bridge(struct mosquitto *client)
{
	const char *u = mosquitto_client_username(client);
	return u && bridge_username && strcmp(u, bridge_username) == 0;
}

/* forget a connection by client id, or only that exact connection when `client` is given (a
 * session taken over by a new connection with the same id disconnects the old one after the
 * new one authenticated) */
static void forget_conn(const char *client_id, const struct mosquitto *client)
{
	for (size_t i = 0; i < n_conns; i++) {
		if (strcmp(conns[i].client_id, client_id) == 0 && (!client || conns[i].client == client)) {
			free(conns[i].client_id);
			conns[i] = conns[--n_conns];
			return;
		}
	}
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	(void)event; (void)userdata;
	if (!ed->username) return MOSQ_ERR_AUTH;
	if (bridge_username && strcmp(ed->username, bridge_username) == 0) {
		return (bridge_password && ed->password && strcmp(ed->password, bridge_password) == 0) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_AUTH;
	}
	char d[DIGEST_HEX + 1];
	sha256_hex(ed->username, d);
	if (!has_digest(d)) return MOSQ_ERR_AUTH;
	const char *id = mosquitto_client_id(ed->client);
	if (id) {
		forget_conn(id, NULL);
		if (n_conns == cap_conns) {
			cap_conns = cap_conns ? cap_conns * 2 : 1024;
			conns = realloc(conns, cap_conns * sizeof(*conns));
		}
		conns[n_conns].client_id = strdup(id);
		conns[n_conns].client = ed->client;
		memcpy(conns[n_conns].digest, d, DIGEST_HEX + 1);
		n_conns++;
	}
	return MOSQ_ERR_SUCCESS;
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	(void)event; (void)userdata;
	const char *id = mosquitto_client_id(ed->client);
	if (id && !is_bridge(ed->client)) forget_conn(id, ed->client);
	return MOSQ_ERR_SUCCESS;
}

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static int on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	(void)event; (void)userdata;
	const char *t = ed->topic;
	if (is_bridge(ed->client)) {
		/* several bridges may share the load: $share/<group>/linli/up/# */
		if ((ed->access == MOSQ_ACL_SUBSCRIBE || ed->access == MOSQ_ACL_UNSUBSCRIBE) && starts_with(t, "$share/")) {
			const char *rest = strchr(t + 7, '/');
			if (!rest || rest == t + 7) return MOSQ_ERR_ACL_DENIED;
			t = rest + 1;
		}
		return (starts_with(t, "linli/") || strcmp(t, CONTROL_TOPIC) == 0) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
	}
	switch (ed->access) {
	case MOSQ_ACL_WRITE:
		if (strcmp(t, DEVICE_PREFIX "telemetry") == 0 || strcmp(t, DEVICE_PREFIX "attributes") == 0
		    || starts_with(t, DEVICE_PREFIX "rpc/response/")) return MOSQ_ERR_SUCCESS;
		return MOSQ_ERR_ACL_DENIED;
	case MOSQ_ACL_SUBSCRIBE:
	case MOSQ_ACL_UNSUBSCRIBE:
	case MOSQ_ACL_READ:
		return starts_with(t, DEVICE_PREFIX) && !strchr(t, '#') ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
	}
	return MOSQ_ERR_ACL_DENIED;
}

static int replace_topic(struct mosquitto_evt_message *ed, const char *a, const char *b, const char *c)
{
	size_t len = strlen(a) + strlen(b) + strlen(c) + 1;
	char *topic = mosquitto_malloc(len);
	if (!topic) return MOSQ_ERR_NOMEM;
	snprintf(topic, len, "%s%s%s", a, b, c);
	mosquitto_free(ed->topic);
	ed->topic = topic;
	return MOSQ_ERR_SUCCESS;
}

static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	(void)event; (void)userdata;
	if (is_bridge(ed->client)) {
		/* linli/down/<digest>/<rest> -> v1/devices/me/<rest> to that device only */
		if (!starts_with(ed->topic, "linli/down/")) return MOSQ_ERR_SUCCESS;
		const char *d = ed->topic + strlen("linli/down/");
		if (strlen(d) < DIGEST_HEX + 2 || d[DIGEST_HEX] != '/') return MOSQ_ERR_ACL_DENIED;
		char digest[DIGEST_HEX + 1];
		memcpy(digest, d, DIGEST_HEX);
		digest[DIGEST_HEX] = 0;
		const char *rest = d + DIGEST_HEX + 1;
		char topic[512];
		snprintf(topic, sizeof(topic), DEVICE_PREFIX "%s", rest);
		for (size_t i = 0; i < n_conns; i++) {
			if (strcmp(conns[i].digest, digest) == 0) {
				mosquitto_broker_publish_copy(conns[i].client_id, topic, (int)ed->payloadlen, ed->payload, ed->qos, false, NULL);
			}
		}
		return replace_topic(ed, "linli/sent/", digest, "");
	}
	const char *u = mosquitto_client_username(ed->client);
	if (!u || !starts_with(ed->topic, DEVICE_PREFIX)) return MOSQ_ERR_ACL_DENIED;
	char d[DIGEST_HEX + 1];
	sha256_hex(u, d);
	char prefix[16 + DIGEST_HEX];
	snprintf(prefix, sizeof(prefix), "linli/up/%s/", d);
	return replace_topic(ed, prefix, ed->topic + strlen(DEVICE_PREFIX), "");
}

static int on_control(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	(void)event; (void)userdata;
	if (!is_bridge(ed->client)) return MOSQ_ERR_ACL_DENIED;
	char *text = malloc(ed->payloadlen + 1);
	if (!text) return MOSQ_ERR_NOMEM;
	memcpy(text, ed->payload, ed->payloadlen);
	text[ed->payloadlen] = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '=') {
			n_digests = 0;
		} else if (line[0] == '+') {
			add_digest(line + 1);
		} else if (line[0] == '-') {
			remove_digest(line + 1);
		}
	}
	free(text);
	/* a full sync ("=") may leave connected devices whose digest is gone */
	for (size_t i = 0; i < n_conns; i++) {
		if (!has_digest(conns[i].digest)) mosquitto_kick_client_by_clientid(conns[i].client_id, false);
	}
	save_state();
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++) {
		if (supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *opts, int opt_count)
{
	(void)userdata;
	plugin_id = identifier;
	for (int i = 0; i < opt_count; i++) {
		if (strcmp(opts[i].key, "bridge_username") == 0) bridge_username = strdup(opts[i].value);
		else if (strcmp(opts[i].key, "bridge_password") == 0) bridge_password = strdup(opts[i].value);
		else if (strcmp(opts[i].key, "state_file") == 0) state_file = strdup(opts[i].value);
	}
	if (!bridge_username || !bridge_password) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "linli_auth: plugin_opt_bridge_username and plugin_opt_bridge_password are required");
		return MOSQ_ERR_INVAL;
	}
	load_state();
	mosquitto_log_printf(MOSQ_LOG_INFO, "linli_auth: %zu device token digests loaded", n_digests);
	int rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
	if (!rc) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
	if (!rc) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL, NULL);
	if (!rc) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL);
	if (!rc) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_CONTROL, on_control, CONTROL_TOPIC, NULL);
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int opt_count)
{
	(void)userdata; (void)opts; (void)opt_count;
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_CONTROL, on_control, CONTROL_TOPIC);
	for (size_t i = 0; i < n_conns; i++) free(conns[i].client_id);
	free(conns); free(digests);
	free(bridge_username); free(bridge_password); free(state_file);
	conns = NULL; digests = NULL; n_conns = n_digests = cap_conns = cap_digests = 0;
	return MOSQ_ERR_SUCCESS;
}
