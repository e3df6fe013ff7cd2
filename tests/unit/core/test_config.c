/* SPDX-License-Identifier: BSD-3-Clause */
/* config.c: defaults, command line, INI file, precedence, and error messages that name
 * the bad key and value. No EAL needed. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <rte_common.h>

#include <sluice/config.h>

struct app_opts {
	unsigned int mode;
	uint16_t port;
};

static const char *const modes[] = { "none", "echo", NULL };

static const struct sl_opt app_table[] = {
	{ .section = "app", .name = "mode", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct app_opts, mode), .choices = modes, .help = "mode" },
	{ .section = "app", .name = "port", .type = SL_OPT_U16,
	  .offset = offsetof(struct app_opts, port), .min = 1, .max = 65535, .help = "port" },
};

struct ctx {
	struct sl_config cfg;
	struct app_opts app;
	struct sl_opt_set sets[2];
	char err[512];
};

static void
ctx_init(struct ctx *c)
{
	unsigned int n;

	memset(c, 0, sizeof(*c));
	sl_config_defaults(&c->cfg);
	c->sets[0] = (struct sl_opt_set){ sl_config_opts(&n), 0, &c->cfg };
	c->sets[0].n = n;
	c->sets[1] = (struct sl_opt_set){ app_table, RTE_DIM(app_table), &c->app };
}

static int
parse(struct ctx *c, int argc, const char **argv)
{
	return sl_config_parse(argc, (char **)(uintptr_t)argv, c->sets, 2, c->err,
			       sizeof(c->err));
}

static void
test_config_defaults_need_only_an_address(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), -EINVAL);
	assert_non_null(strstr(c.err, "--ip"));
	c.cfg.ip.addr = htonl(0xc6120002);
	c.cfg.ip.len = 24;
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), 0);
	assert_int_equal(c.cfg.mtu, 1500);
	assert_int_equal(c.cfg.ttl, 64);
}

static void
test_config_command_line_sets_every_type(void **state)
{
	const char *argv[] = { "prog", "--ip", "198.18.0.2/24", "--mtu=9000", "--promisc",
			       "--gateway", "198.18.0.254", "--mac", "02:00:00:00:00:09",
			       "--mbufs", "8k", "--csum-offload", "off", "--mode", "echo",
			       "--port", "7", "--ttl", "32" };
	struct ctx c;

	(void)state;
	ctx_init(&c);
	assert_int_equal(parse(&c, RTE_DIM(argv), argv), 0);
	assert_int_equal(c.cfg.ip.addr, htonl(0xc6120002));
	assert_int_equal(c.cfg.ip.len, 24);
	assert_int_equal(c.cfg.mtu, 9000);
	assert_true(c.cfg.promisc);
	assert_int_equal(c.cfg.gateway, htonl(0xc61200fe));
	assert_true(c.cfg.mac_set);
	assert_int_equal(c.cfg.mac.addr_bytes[5], 9);
	assert_int_equal(c.cfg.mbufs, 8192);
	assert_int_equal(c.cfg.csum_offload, SL_OFFLOAD_OFF);
	assert_int_equal(c.app.mode, 1);
	assert_int_equal(c.app.port, 7);
	assert_int_equal(c.cfg.ttl, 32);
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), 0);
}

static void
test_config_bool_flag_takes_optional_word(void **state)
{
	const char *a1[] = { "prog", "--promisc", "false", "--mtu", "1400" };
	const char *a2[] = { "prog", "--promisc", "--mtu", "1400" };
	struct ctx c;

	(void)state;
	ctx_init(&c);
	c.cfg.promisc = true;
	assert_int_equal(parse(&c, RTE_DIM(a1), a1), 0);
	assert_false(c.cfg.promisc);
	ctx_init(&c);
	assert_int_equal(parse(&c, RTE_DIM(a2), a2), 0);
	assert_true(c.cfg.promisc);
	assert_int_equal(c.cfg.mtu, 1400);
}

static void
expect_error(const char *opt, const char *value, const char *needle)
{
	const char *argv[] = { "prog", opt, value };
	struct ctx c;

	ctx_init(&c);
	assert_int_equal(parse(&c, value != NULL ? 3 : 2, argv), -EINVAL);
	if (strstr(c.err, needle) == NULL)
		fail_msg("error '%s' does not mention '%s'", c.err, needle);
}

static void
test_config_bad_values_named_in_error(void **state)
{
	(void)state;
	expect_error("--mtu", "100", "mtu");
	expect_error("--mtu", "100", "'100'");
	expect_error("--mtu", "15o0", "'15o0'");
	expect_error("--mtu", "-1", "mtu");
	expect_error("--ip", "198.18.0.2", "a.b.c.d/len");
	expect_error("--ip", "198.18.0.2/33", "ip");
	expect_error("--ip", "198.18.0.300/24", "ip");
	expect_error("--gateway", "nope", "gateway");
	expect_error("--mac", "01:00:5e:00:00:01", "unicast");
	expect_error("--mac", "02:00:00", "mac");
	expect_error("--csum-offload", "maybe", "auto off");
	expect_error("--mode", "fast", "none echo");
	expect_error("--promisc=perhaps", NULL, "promisc");
	expect_error("--mbufs", "99999999999999999999", "mbufs");
	expect_error("--mbufs", "4t", "mbufs");
	expect_error("--port", "0", "between 1 and 65535");
}

static void
test_config_unknown_key_and_stray_argument_rejected(void **state)
{
	const char *a1[] = { "prog", "--no-such-key", "1" };
	const char *a2[] = { "prog", "stray" };
	const char *a3[] = { "prog", "--mtu" };
	struct ctx c;

	(void)state;
	ctx_init(&c);
	assert_int_equal(parse(&c, RTE_DIM(a1), a1), -EINVAL);
	assert_non_null(strstr(c.err, "no-such-key"));
	assert_int_equal(parse(&c, RTE_DIM(a2), a2), -EINVAL);
	assert_non_null(strstr(c.err, "stray"));
	assert_int_equal(parse(&c, RTE_DIM(a3), a3), -EINVAL);
	assert_non_null(strstr(c.err, "needs a value"));
}

static void
test_config_help_reported(void **state)
{
	const char *argv[] = { "prog", "--mtu", "1400", "--help" };
	struct ctx c;
	FILE *f;

	(void)state;
	ctx_init(&c);
	assert_int_equal(parse(&c, RTE_DIM(argv), argv), -EAGAIN);
	f = tmpfile();
	sl_config_usage(f, c.sets, 2);
	assert_true(ftell(f) > 500);
	fclose(f);
}

static char *
write_ini(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/sl-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_config_file_loaded_and_command_line_overrides(void **state)
{
	char *path = write_ini("[port]\nmtu = 1400\nmbufs = 4096\n[ip]\nip = 198.18.1.5/16\n"
			       "[app]\nmode = echo\n");
	const char *argv[] = { "prog", "--mtu", "1300", "--config", path };
	struct ctx c;

	(void)state;
	ctx_init(&c);
	assert_int_equal(parse(&c, RTE_DIM(argv), argv), 0);
	assert_int_equal(c.cfg.mtu, 1300);		/* command line wins */
	assert_int_equal(c.cfg.mbufs, 4096);
	assert_int_equal(c.cfg.ip.addr, htonl(0xc6120105));
	assert_int_equal(c.cfg.ip.len, 16);
	assert_int_equal(c.app.mode, 1);
	unlink(path);
}

static void
test_config_file_errors_name_key_and_section(void **state)
{
	char *path;
	const char *argv[] = { "prog", "--config", NULL };
	struct ctx c;

	(void)state;
	path = write_ini("[ip]\nmtu = 1400\n");
	argv[2] = path;
	ctx_init(&c);
	assert_int_equal(parse(&c, 3, argv), -EINVAL);
	assert_non_null(strstr(c.err, "mtu"));
	assert_non_null(strstr(c.err, "[ip]"));
	unlink(path);

	path = write_ini("[port]\nfrobnicate = 1\n");
	argv[2] = path;
	ctx_init(&c);
	assert_int_equal(parse(&c, 3, argv), -EINVAL);
	assert_non_null(strstr(c.err, "frobnicate"));
	unlink(path);

	path = write_ini("[port]\nmtu = big\n");
	argv[2] = path;
	ctx_init(&c);
	assert_int_equal(parse(&c, 3, argv), -EINVAL);
	assert_non_null(strstr(c.err, "'big'"));
	unlink(path);

	argv[2] = "/nonexistent/sluice.ini";
	ctx_init(&c);
	assert_int_equal(parse(&c, 3, argv), -ENOENT);
	assert_non_null(strstr(c.err, "/nonexistent/sluice.ini"));
}

static void
test_config_validate_cross_field_rules(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	c.cfg.ip.addr = htonl(0xc6120002);
	c.cfg.ip.len = 24;
	c.cfg.gateway = htonl(0xc6130001);
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), -EINVAL);
	assert_non_null(strstr(c.err, "gateway"));
	c.cfg.gateway = 0;
	c.cfg.mbufs = 1000;
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), -EINVAL);
	assert_non_null(strstr(c.err, "mbufs"));
	/* A config built in code: no ephemeral port 0 (no flow may have it, tcp_in.c). */
	ctx_init(&c);
	c.cfg.ip.addr = htonl(0xc6120002);
	c.cfg.ip.len = 24;
	c.cfg.port_min = 0;
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), -EINVAL);
	assert_non_null(strstr(c.err, "port-min"));
	c.cfg.port_min = 1;
	assert_int_equal(sl_config_validate(&c.cfg, c.err, sizeof(c.err)), 0);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_need_only_an_address),
		cmocka_unit_test(test_config_command_line_sets_every_type),
		cmocka_unit_test(test_config_bool_flag_takes_optional_word),
		cmocka_unit_test(test_config_bad_values_named_in_error),
		cmocka_unit_test(test_config_unknown_key_and_stray_argument_rejected),
		cmocka_unit_test(test_config_help_reported),
		cmocka_unit_test(test_config_file_loaded_and_command_line_overrides),
		cmocka_unit_test(test_config_file_errors_name_key_and_section),
		cmocka_unit_test(test_config_validate_cross_field_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
