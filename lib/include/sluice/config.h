/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

/**
 * @file
 * sluice configuration: one struct with every tunable of the stack, filled with defaults,
 * then from an INI file (read with rte_cfgfile) and finally from the command line.
 *
 * Every key has a section (for the INI file) and a name (for both): the key `mtu` of
 * section `[port]` is `mtu = 9000` in the file and `--mtu 9000` (or `--mtu=9000`) on the
 * command line. Command-line values override the file. Applications add their own keys
 * with tables of the same shape (see struct sl_opt), so one parser serves the stack and the
 * program and one `--help` lists everything.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <sluice/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An IPv4 address with its prefix length, addresses in network byte order. */
struct sl_ipv4_prefix {
	rte_be32_t addr;
	uint8_t len;
};

/** How a TX/RX offload is chosen. */
enum sl_offload_mode {
	SL_OFFLOAD_AUTO = 0,	/**< use it when the port offers it */
	SL_OFFLOAD_OFF,		/**< never use it (the software path is the reference) */
};

/** Fault injection between the port and the stack (see fault.c). Rates are in parts per
 * million of frames; 0 disables a fault. */
struct sl_fault_cfg {
	uint32_t drop;			/**< frame lost */
	uint32_t dup;			/**< frame delivered twice */
	uint32_t reorder;		/**< frame held back and released after later ones */
	uint32_t corrupt;		/**< one bit flipped */
	uint32_t truncate;		/**< frame cut short */
	uint32_t ce;			/**< ECN-capable IPv4 frame marked Congestion Experienced */
	uint32_t reorder_max_us;	/**< longest a held frame waits */
	uint64_t seed;			/**< PRNG seed (0: chosen at start and logged) */
	unsigned int dir;		/**< SL_FAULT_RX | SL_FAULT_TX */
};

#define SL_FAULT_RX 1u	/**< faults on frames received from the port */
#define SL_FAULT_TX 2u	/**< faults on frames sent to the port */

/** When a connection uses ECN (RFC 3168), the `[tcp] ecn` key. A congestion control module
 * that needs ECN (DCTCP) requests it whatever this says. */
enum sl_ecn_mode {
	SL_ECN_OFF = 0,		/**< never: SYNs asking for it are answered without */
	SL_ECN_PASSIVE,		/**< accept it when the peer's SYN asks (default, Linux's 2) */
	SL_ECN_ON,		/**< also ask for it in our SYNs (Linux's 1) */
};

/** Largest length of a string option, including the terminating NUL. */
#define SL_OPT_STR_MAX 256

/**
 * Stack configuration. Fill with sl_config_defaults() before changing anything.
 * Addresses are in network byte order; durations carry their unit in the name.
 */
/** Longest congestion control name, NUL included ("newreno", "cubic", "dctcp"). */
#define SL_CC_NAME_MAX 16

struct sl_config {
	/* [port] */
	uint16_t port_id;		/**< DPDK port to bring up */
	uint16_t rx_desc;		/**< RX descriptors per queue */
	uint16_t tx_desc;		/**< TX descriptors per queue */
	uint16_t mtu;			/**< IP MTU of the port */
	uint32_t mbufs;			/**< packet mbufs per worker (RX rings, TX, queues) */
	uint32_t mbuf_cache;		/**< per-lcore mempool cache */
	uint16_t rx_burst;		/**< packets per rte_eth_rx_burst */
	uint16_t tx_queue_max;		/**< packets a worker may hold for TX before dropping */
	uint32_t handoff_ring;		/**< frames other workers may queue for a worker */
	unsigned int csum_offload;	/**< enum sl_offload_mode for IPv4/TCP checksums */
	bool promisc;			/**< put the port in promiscuous mode */
	bool tso;			/**< TCP segmentation offload, when the port has it */
	uint16_t vlan;			/**< 802.1Q VLAN ID to tag and accept (0: untagged) */
	bool pdump;			/**< let dpdk-dumpcap capture the port (rte_pdump) */

	/* [ip] */
	struct sl_ipv4_prefix ip;	/**< our address and subnet */
	rte_be32_t gateway;		/**< next hop outside the subnet; 0 = none */
	struct rte_ether_addr mac;	/**< port MAC override (when mac_set) */
	bool mac_set;
	uint8_t ttl;			/**< TTL of packets we originate */
	uint16_t min_pmtu;		/**< floor of a path MTU learnt from ICMP */
	uint32_t pmtu_expire_s;		/**< a learnt path MTU is used this long */
	uint32_t frag_entries;		/**< IPv4 datagrams in reassembly per worker (0: off) */
	uint32_t frag_timeout_ms;	/**< an incomplete datagram is dropped after this */

	/* [arp] */
	uint32_t arp_entries;		/**< neighbour table size */
	uint16_t arp_pending;		/**< packets queued per unresolved destination */
	uint32_t arp_timeout_ms;	/**< a resolved entry is trusted this long */
	uint32_t arp_retry_ms;		/**< minimum interval between requests for a target */
	uint16_t arp_retries;		/**< requests before an unresolved entry fails */

	/* [tcp] */
	uint32_t max_flows;		/**< connections per worker (TIME-WAIT included) */
	uint32_t backlog;		/**< half-open connections per listener */
	bool syncookies;		/**< answer SYNs with cookies when the backlog is full */
	uint16_t mss_min;		/**< floor for the peer's MSS */
	uint32_t rcvbuf;		/**< receive window budget per connection (bytes) */
	uint32_t sndbuf;		/**< send queue high water mark (bytes) */
	uint32_t sndbuf_low;		/**< low water mark (0: sndbuf / 2) */
	uint32_t sndbuf_max;		/**< hard cap (0: 4 x sndbuf) */
	uint32_t flush;			/**< enum sl_flush_mode (sluice/conn.h) of new connections */
	uint32_t cork_us;		/**< ceiling of a cork or SL_SEND_MORE hold */
	uint32_t ooo_max_segs;		/**< out-of-order segments held per connection */
	uint32_t ooo_max_bytes;		/**< mbuf memory they may hold (data room, bytes) */
	uint32_t delack_us;		/**< delayed ACK timeout; 0 acknowledges at once */
	uint8_t delack_segs;		/**< ACK at once after this many full segments */
	bool ack_on_push;		/**< ACK at once segments carrying PSH */
	uint32_t rto_min_us;
	uint32_t rto_max_us;
	uint32_t rto_initial_us;
	uint16_t retries;		/**< RTO retransmissions before giving up */
	uint16_t syn_retries;		/**< SYN retransmissions of an active open */
	uint16_t synack_retries;	/**< SYN-ACK retransmissions of a passive open */
	uint32_t msl_ms;		/**< maximum segment lifetime; TIME-WAIT lasts 2 MSL */
	uint32_t fin_wait2_ms;		/**< FIN-WAIT-2 limit after sl_conn_close() */
	uint32_t challenge_acks;	/**< challenge/out-of-window ACKs per connection per s */
	bool keepalive;			/**< keepalive on new connections */
	uint32_t keepalive_idle_s;
	uint32_t keepalive_intvl_s;
	uint16_t keepalive_probes;
	bool timestamps;		/**< offer RFC 7323 timestamps */
	bool sack;			/**< offer SACK */
	bool tlp;			/**< tail loss probes (RFC 8985 §7) */
	bool idle_restart;		/**< restart window after idle (RFC 5681 §4.1) */
	bool mtu_probing;		/**< smaller segments after timeouts of full ones */
	bool wscale;			/**< offer window scaling */
	uint16_t init_cwnd;		/**< initial congestion window (segments) */
	char cc[SL_CC_NAME_MAX];	/**< congestion control of new connections */
	unsigned int ecn;		/**< enum sl_ecn_mode */
	uint32_t user_timeout_ms;	/**< abort when data stays unacknowledged this long */
	uint16_t port_min, port_max;	/**< ephemeral ports for active opens */
	uint64_t seed;			/**< secrets and PRNG seed; 0: random at start */
	uint32_t drain_s;		/**< sl_stack_drain(): reset what is open after this */

	/* [framing] */
	uint32_t framing_batch;		/**< messages per connection per poll iteration */
	uint32_t framing_asm_mb;	/**< assembly buffers per framing per worker (MiB) */
	uint32_t msg_holds;		/**< messages the application may hold per worker */
	uint32_t msg_timeout_ms;	/**< assembly deadline of one message (0: none) */

	/* [fault] */
	struct sl_fault_cfg fault;
};

/** Value types understood by the option parser. */
enum sl_opt_type {
	SL_OPT_BOOL,		/**< bool: 1/0, true/false, yes/no, on/off */
	SL_OPT_U8,		/**< uint8_t in [min, max] */
	SL_OPT_U16,		/**< uint16_t in [min, max] */
	SL_OPT_U32,		/**< uint32_t in [min, max]; k/m/g suffixes (x1024) accepted */
	SL_OPT_U64,		/**< uint64_t in [min, max]; k/m/g suffixes accepted */
	SL_OPT_STR,		/**< char[max] (max includes the NUL) */
	SL_OPT_IPV4,		/**< rte_be32_t, dotted quad */
	SL_OPT_IPV4_PREFIX,	/**< struct sl_ipv4_prefix, "a.b.c.d/len" */
	SL_OPT_MAC,		/**< struct rte_ether_addr; sets the bool at aux_offset */
	SL_OPT_ENUM,		/**< unsigned int index into choices[] */
	SL_OPT_CUSTOM,		/**< parsed by parse(), printed by format() */
};

/**
 * One configuration key. Tables of these are static const data; `offset` is relative to
 * the struct that an sl_opt_set points at.
 */
struct sl_opt {
	const char *section;	/**< INI section, e.g. "port" */
	const char *name;	/**< key, e.g. "mtu" (command line: --mtu) */
	enum sl_opt_type type;
	size_t offset;		/**< offset of the field in the target struct */
	size_t aux_offset;	/**< SL_OPT_MAC: offset of a bool set when given */
	uint64_t min;		/**< integer types: smallest accepted value */
	uint64_t max;		/**< integer types: largest value; SL_OPT_STR: buffer size */
	const char *const *choices;	/**< SL_OPT_ENUM: NULL-terminated names */
	/** SL_OPT_CUSTOM: parse `value` into `field`; 0 or -EINVAL with a reason in err. */
	int (*parse)(void *field, const char *value, char *err, size_t errlen);
	/** SL_OPT_CUSTOM: print the current value of `field` into buf. */
	void (*format)(const void *field, char *buf, size_t len);
	const char *help;	/**< one line for --help */
};

/** A table of options and the struct they write into. */
struct sl_opt_set {
	const struct sl_opt *opts;
	unsigned int n;
	void *base;
};

/**
 * Fill a configuration with the defaults a server would use.
 *
 * @param cfg
 *   Configuration to overwrite.
 */
SL_EXPORT
void
sl_config_defaults(struct sl_config *cfg);

/**
 * The stack's own option table (the keys of struct sl_config).
 *
 * @param n
 *   Set to the number of entries.
 * @return
 *   A static table; never NULL.
 */
SL_EXPORT
const struct sl_opt *
sl_config_opts(unsigned int *n);

/**
 * Parse program options (the arguments after the EAL's `--`) into one or more option sets.
 *
 * `--config FILE` loads an INI file first, wherever it appears; the other options are then
 * applied in order, so the command line overrides the file. Each option is `--name value`
 * or `--name=value`. Parsing stops at the first error: an unknown key, a value of the wrong
 * type or out of range, a section/key pair in the file that does not exist, or a stray
 * positional argument. `--help` is reported as -EAGAIN so the caller can print
 * sl_config_usage() and exit 0.
 *
 * @param argc, argv
 *   Options, argv[0] being the program name (skipped).
 * @param sets, nsets
 *   Option tables and the structs they fill; a key found in several sets goes to the first.
 * @param err, errlen
 *   Receives a message naming the bad key and value on failure.
 * @return
 *   0 on success; -EINVAL on a bad option or value (message in err); -ENOENT when the
 *   config file cannot be read; -EAGAIN when --help was given.
 */
SL_EXPORT
int
sl_config_parse(int argc, char **argv, const struct sl_opt_set *sets, unsigned int nsets,
		char *err, size_t errlen);

/**
 * Apply one key=value (as a file or command line would). Used by sl_config_parse() and by
 * programs that take settings from elsewhere.
 *
 * @return
 *   0, or -EINVAL with a message in err (unknown key, bad value).
 */
SL_EXPORT
int
sl_config_set(const struct sl_opt_set *sets, unsigned int nsets, const char *section,
	      const char *name, const char *value, char *err, size_t errlen);

/**
 * Print every option of the sets with its current value as default and its help line.
 */
SL_EXPORT
void
sl_config_usage(FILE *f, const struct sl_opt_set *sets, unsigned int nsets);

/**
 * Check cross-field constraints (for example a gateway inside the subnet).
 *
 * @return
 *   0 or -EINVAL with a message in err.
 */
SL_EXPORT
int
sl_config_validate(const struct sl_config *cfg, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_CONFIG_H */
