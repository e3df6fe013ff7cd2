#!/usr/bin/env bash
# scripts/bind-nic.sh refuses what it must and plans the rest, without ever binding
# anything: every call here is --dry-run (and dpdk-devbind.py is replaced by /bin/false,
# so even a mistake could not rebind a NIC).
#  - the interface carrying the default route is refused, by name and by PCI address,
#    --dry-run or not being irrelevant to a refusal;
#  - in a throw-away namespace: veth and tap interfaces are refused as not PCI; an
#    interface with an address, one up with routes, one enslaved to a bridge are refused
#    as in use (in use is checked first: it is the reason that matters);
#  - on a fake sysfs tree (SL_SYSFS) with a free PCI NIC: the dry-run plan names the
#    device, its current and target drivers, the modules and the state file, writes no
#    state; a virtio-net interface resolves to its PCI function; a device already on
#    the target driver is left alone (exit 0);
#  - --restore: refused without a remembered or given driver; planned from the state
#    file or --driver.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"

BIND=$SL_ROOT/scripts/bind-nic.sh
export SL_DEVBIND=/bin/false
NS=sl-bindnic-$$
tmp=$(mktemp -d /tmp/sl-bindnic.XXXXXX)
export SL_BIND_STATE_DIR=$tmp/state
failed=0

cleanup() {
	sl_netns_del "$NS"
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

# refused NAME PATTERN CMD...: CMD must exit non-zero and say PATTERN.
refused() {
	local name=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name: not refused: $out"
	elif echo "$out" | grep -q "refused: .*$pat"; then
		ok "$name: $(echo "$out" | tail -n 1)"
	else
		fail "$name: refused for another reason: $out"
	fi
}

# --- the machine's own default-route interface (read-only checks)
defif=$(ip -4 route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
if [ -n "$defif" ]; then
	refused "default-route interface $defif" "default route" "$BIND" --dry-run "$defif"
	dev=$(readlink -f "/sys/class/net/$defif/device" 2>/dev/null || true)
	pci=$(echo "$dev" | grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' | tail -n 1)
	if [ -n "$pci" ]; then
		refused "default-route interface by PCI address $pci" "default route" \
			"$BIND" --dry-run "$pci"
	else
		ok "default-route interface $defif is not on PCI: no PCI address to try"
	fi
else
	ok "no default route on this machine: that case is skipped"
fi

# --- virtual interfaces in a throw-away namespace
sl_netns_add "$NS"
ip -n "$NS" link add vA type veth peer name vB
ip -n "$NS" tuntap add dev tap0 mode tap
refused "veth (down, no address)" "not a PCI device" ip netns exec "$NS" "$BIND" --dry-run vA
refused "tap" "not a PCI device" ip netns exec "$NS" "$BIND" --dry-run tap0
refused "loopback (up, 127.0.0.1)" "has an IP address" ip netns exec "$NS" "$BIND" --dry-run lo
ip -n "$NS" addr add 198.18.5.1/24 dev vA
refused "veth with an address" "has an IP address" ip netns exec "$NS" "$BIND" --dry-run vA
ip -n "$NS" addr flush dev vA
ip -n "$NS" link set vA up
ip -n "$NS" link set vB up
ip -n "$NS" route add 198.18.6.0/24 dev vA
refused "veth up with a route" "up and has routes" ip netns exec "$NS" "$BIND" --dry-run vA
ip -n "$NS" route add default dev vA
refused "veth with a default route" "default route" ip netns exec "$NS" "$BIND" --dry-run vA
ip -n "$NS" route flush dev vA
ip -n "$NS" link add br0 type bridge
ip -n "$NS" link set vB master br0
refused "veth enslaved to a bridge" "enslaved to br0" ip netns exec "$NS" "$BIND" --dry-run vB
refused "unknown interface" "no network interface" ip netns exec "$NS" "$BIND" --dry-run nosuch0

# --- a fake sysfs with free PCI NICs (their names exist in no namespace's ip state)
fs=$tmp/sys
mkdir -p "$fs/bus/pci/drivers/e1000e" "$fs/bus/pci/drivers/virtio-pci" \
	"$fs/bus/pci/drivers/vfio-pci" "$fs/bus/pci/devices" "$fs/class/net" \
	"$fs/kernel/iommu_groups/7"
# fakedev PCI DRIVER IFACE [VIRTIO]: a PCI function bound to DRIVER with interface IFACE
# (below a virtio device when VIRTIO is given).
fakedev() {
	local d=$fs/devices/pci0000:00/$1 netp
	mkdir -p "$d"
	ln -s ../../../bus/pci "$d/subsystem"
	echo 0x8086 > "$d/vendor"
	echo 0x15b8 > "$d/device"
	ln -s "../../../bus/pci/drivers/$2" "$d/driver"
	ln -s "../../../devices/pci0000:00/$1" "$fs/bus/pci/devices/$1"
	if [ -n "${4:-}" ]; then
		mkdir -p "$d/$4/net/$3"
		ln -s .. "$d/$4/net/$3/device"
	else
		mkdir -p "$d/net/$3"
		ln -s ../.. "$d/net/$3/device"
	fi
	netp=$(cd "$d" && find . -path "*/net/$3" | head -n 1)
	ln -s "$d/${netp#./}" "$fs/class/net/$3"
}
fakedev 0000:00:1f.6 e1000e fake0
fakedev 0000:00:05.0 virtio-pci fake1 virtio3
fakedev 0000:00:06.0 vfio-pci fake2

run_fake() { ip netns exec "$NS" env SL_SYSFS="$fs" "$BIND" "$@"; }

if out=$(run_fake --dry-run fake0 2>&1); then
	if echo "$out" | grep -q '^  device *0000:00:1f.6 (vendor 0x8086 device 0x15b8)' &&
		echo "$out" | grep -q '^  current driver *e1000e$' &&
		echo "$out" | grep -q '^  target driver *vfio-pci$' &&
		echo "$out" | grep -q '^  load modules *vfio-pci$' &&
		echo "$out" | grep -q '^  iommu *groups present' &&
		echo "$out" | grep -q "^  state file *$SL_BIND_STATE_DIR/0000:00:1f.6 (driver=e1000e" &&
		echo "$out" | grep -q "^  commands *modprobe vfio-pci; /bin/false --bind=vfio-pci 0000:00:1f.6" &&
		echo "$out" | grep -q '^bind-nic: dry run: nothing changed' &&
		[ ! -e "$SL_BIND_STATE_DIR" ]; then
		ok "dry-run plan of a free NIC: device, drivers, modules, IOMMU, state file; nothing written"
	else
		fail "dry-run plan of a free NIC is not as expected:"
		echo "$out"
	fi
else
	fail "dry-run of a free NIC refused: $out"
fi
if out=$(run_fake --dry-run --driver uio_pci_generic 0000:00:1f.6 2>&1) &&
	echo "$out" | grep -q '^  interfaces *fake0 ' &&
	echo "$out" | grep -q '^  load modules *uio_pci_generic$'; then
	ok "dry-run by PCI address with --driver uio_pci_generic: plan names fake0 and the module"
else
	fail "dry-run by PCI address with --driver: $out"
fi
if out=$(run_fake --dry-run fake1 2>&1) && echo "$out" | grep -q '^  device *0000:00:05.0' &&
	echo "$out" | grep -q '^  current driver *virtio-pci$'; then
	ok "a virtio-net interface resolves to its PCI function 0000:00:05.0"
else
	fail "virtio-net interface: $out"
fi
if out=$(run_fake --dry-run fake2 2>&1) && echo "$out" | grep -q 'already bound to vfio-pci: nothing to do'; then
	ok "already on the target driver: nothing to do, exit 0 (a service's ExecStartPre)"
else
	fail "already bound: $out"
fi

# --- restore
refused "restore with no remembered driver" "original driver of 0000:00:06.0 is unknown" \
	run_fake --restore --dry-run 0000:00:06.0
refused "restore by interface name" "takes the PCI address" run_fake --restore --dry-run fake2
mkdir -p "$SL_BIND_STATE_DIR"
printf 'driver=ixgbe\nifaces=eth9\n' > "$SL_BIND_STATE_DIR/0000:00:06.0"
if out=$(run_fake --restore --dry-run 0000:00:06.0 2>&1) &&
	echo "$out" | grep -q '^  current driver *vfio-pci$' &&
	echo "$out" | grep -q "^  target driver *ixgbe (remembered in $SL_BIND_STATE_DIR/0000:00:06.0)" &&
	echo "$out" | grep -q '^bind-nic: dry run: nothing changed' &&
	[ -e "$SL_BIND_STATE_DIR/0000:00:06.0" ]; then
	ok "restore dry-run: back to the remembered driver ixgbe, state kept"
else
	fail "restore dry-run from the state file: $out"
fi
if out=$(run_fake --restore --dry-run 0000:00:06.0 --driver e1000e 2>&1) &&
	echo "$out" | grep -q '^  target driver *e1000e'; then
	ok "restore dry-run with --driver e1000e"
else
	fail "restore dry-run with --driver: $out"
fi
if "$BIND" --bogus >/dev/null 2>&1; then
	fail "an unknown option was accepted"
else
	ok "an unknown option is refused with the usage"
fi

[ "$failed" -eq 0 ] || exit 1
echo "PASS: test_bind_nic"
