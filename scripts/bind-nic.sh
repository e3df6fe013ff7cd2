#!/usr/bin/env bash
# Give a NIC to DPDK (sluice-server) or back to the kernel, safely: a wrapper around
# dpdk-devbind.py (Debian's dpdk package: /usr/bin/dpdk-devbind.py).
#
#   scripts/bind-nic.sh [--dry-run] [--driver vfio-pci] <iface|pci-addr>
#       show the plan (device, current driver, target driver, modules to load), then
#       load the modules, remember the current driver and bind the device to the target
#       (vfio-pci by default; uio_pci_generic where there is no IOMMU)
#   scripts/bind-nic.sh --restore [--dry-run] <pci-addr> [--driver <kernel driver>]
#       give the device back to its kernel driver: the one remembered when it was bound,
#       or --driver
#   scripts/bind-nic.sh --status
#       dpdk-devbind.py --status-dev net (read-only)
#
# It refuses a device that is in use by the kernel's network stack. "In use" means any
# kernel interface of the device (and of any interface enslaved to it):
#   - carries a default route (IPv4 or IPv6, any routing table): binding it would cut
#     the machine off (and an SSH session with it);
#   - has an IP address configured (IPv6 link-local addresses aside, which every up
#     interface has);
#   - is up and has routes;
#   - is enslaved to a bond, bridge or team (it has a master).
# To free an interface on purpose: `ip addr flush dev IF && ip link set IF down`, then
# run this again. It also refuses what is not a PCI device (veth, tap, bridge, dummy,
# lo...: DPDK binds PCI functions; virtual ports are vdevs, see README). --dry-run checks
# and prints the same plan and changes nothing; a refusal is a refusal with or without it.
# A device already on the target driver is left alone (exit 0), so a service may run
# this before every start (docs/deploy.md).
#
# The driver a device had is remembered in $SL_BIND_STATE_DIR (default
# /var/lib/sluice/bind-nic), one file per PCI address, for --restore. SL_SYSFS (default
# /sys) lets tests point the script at a fake sysfs tree.
set -euo pipefail

SYSFS=${SL_SYSFS:-/sys}
STATE_DIR=${SL_BIND_STATE_DIR:-/var/lib/sluice/bind-nic}
DEVBIND=${SL_DEVBIND:-dpdk-devbind.py}

die() { printf 'bind-nic: refused: %s\n' "$*" >&2; exit 1; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-0}"
}

dry_run=0
restore=0
status=0
driver=
target=
while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) dry_run=1 ;;
	--restore) restore=1 ;;
	--status) status=1 ;;
	--driver)
		[ $# -ge 2 ] || die "--driver needs a driver name"
		driver=$2
		shift
		;;
	--driver=*) driver=${1#--driver=} ;;
	-h | --help) usage 0 ;;
	-*) printf 'bind-nic: unknown option %s\n' "$1" >&2; usage 2 ;;
	*)
		[ -z "$target" ] || die "one device at a time ($target, $1)"
		target=$1
		;;
	esac
	shift
done

if [ "$status" -eq 1 ]; then
	exec "$DEVBIND" --status-dev net
fi
[ -n "$target" ] || usage 2

PCI_RE='^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$'

# pci_of_iface IF: the PCI function under the interface (its device, or the nearest PCI
# ancestor: virtio-net interfaces hang off a virtio device on the PCI function); empty
# when the interface is not on PCI.
pci_of_iface() {
	local dev comp
	[ -e "$SYSFS/class/net/$1/device" ] || return 0
	dev=$(readlink -f "$SYSFS/class/net/$1/device")
	while [ -n "$dev" ] && [ "$dev" != / ] && [ "$dev" != "$SYSFS" ]; do
		comp=$(basename "$dev")
		if [[ $comp =~ $PCI_RE ]] &&
			[ "$(basename "$(readlink -f "$dev/subsystem" 2>/dev/null)")" = pci ]; then
			echo "$comp"
			return 0
		fi
		dev=$(dirname "$dev")
	done
}

# ifaces_of_pci PCI: the kernel interfaces of a PCI function (directly or below a virtio
# device).
ifaces_of_pci() {
	local d=$SYSFS/bus/pci/devices/$1 n
	for n in "$d"/net/* "$d"/*/net/*; do
		[ -e "$n" ] && basename "$n"
	done
	return 0
}

driver_of_pci() {
	local l=$SYSFS/bus/pci/devices/$1/driver
	if [ -e "$l" ]; then basename "$(readlink -f "$l")"; else echo none; fi
}

# in_use IF: print why the interface is in use by the kernel (nothing when it is not).
in_use() {
	local ifc=$1 addrs link
	# Routes in every table: a default route through it cuts the machine off.
	if ip -4 route show table all default 2>/dev/null | grep -Eq "(^| )dev $ifc( |$)" ||
		ip -6 route show table all default 2>/dev/null | grep -Eq "(^| )dev $ifc( |$)"; then
		echo "$ifc carries a default route (binding it would cut this machine off)"
		return 0
	fi
	addrs=$(ip -o addr show dev "$ifc" 2>/dev/null | grep -v ' inet6 fe80:' |
		awk '{print $4}' | tr '\n' ' ' || true)
	if [ -n "$addrs" ]; then
		echo "$ifc has an IP address configured: ${addrs% }"
		return 0
	fi
	link=$(ip -o link show dev "$ifc" 2>/dev/null || true)
	if echo "$link" | grep -q ' master '; then
		echo "$ifc is enslaved to $(echo "$link" | sed -n 's/.* master \([^ ]*\).*/\1/p') (bond/bridge/team)"
		return 0
	fi
	if echo "$link" | grep -Eq '<([^>]*,)?UP[,>]' &&
		[ -n "$(ip route show table all dev "$ifc" 2>/dev/null)" ]; then
		echo "$ifc is up and has routes"
		return 0
	fi
}

modules_for() {
	case $1 in
	vfio-pci) echo vfio-pci ;;
	uio_pci_generic) echo uio_pci_generic ;;
	igb_uio) echo "igb_uio (out of tree: dpdk-kmods)" ;;
	*) echo "$1" ;;
	esac
}

# Resolve the target: an interface name or a PCI address.
if [[ $target =~ ^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
	target=0000:$target
fi
if [[ $target =~ $PCI_RE ]]; then
	pci=${target,,}
	[ -e "$SYSFS/bus/pci/devices/$pci" ] || die "no PCI device $pci"
	mapfile -t ifaces < <(ifaces_of_pci "$pci")
else
	[ "$restore" -eq 0 ] || die "--restore takes the PCI address (the interface is gone while DPDK has the device)"
	[ -e "$SYSFS/class/net/$target" ] || die "no network interface $target"
	ifaces=("$target")
	# In use comes first: it is the reason that matters, PCI or not.
	why=$(in_use "$target")
	[ -z "$why" ] || die "$why"
	pci=$(pci_of_iface "$target")
	[ -n "$pci" ] || die "$target is not a PCI device (virtual interfaces such as veth, tap, bridge, dummy or lo cannot be bound; DPDK reaches them as vdevs: net_tap, net_af_packet)"
fi
cur=$(driver_of_pci "$pci")
desc=
if [ -r "$SYSFS/bus/pci/devices/$pci/vendor" ]; then
	desc="vendor $(cat "$SYSFS/bus/pci/devices/$pci/vendor") device $(cat "$SYSFS/bus/pci/devices/$pci/device" 2>/dev/null || echo '?')"
fi
state=$STATE_DIR/$pci

if [ "$restore" -eq 1 ]; then
	if [ -z "$driver" ]; then
		[ -r "$state" ] || die "the original driver of $pci is unknown (no $state): give it with --driver"
		driver=$(sed -n 's/^driver=//p' "$state")
		[ -n "$driver" ] || die "$state names no driver: give it with --driver"
	fi
	if [ "$cur" = "$driver" ]; then
		echo "bind-nic: $pci is already bound to $driver: nothing to do"
		exit 0
	fi
	echo "bind-nic: plan (restore)"
	printf '  %-15s %s%s\n' device "$pci" "${desc:+ ($desc)}"
	printf '  %-15s %s\n' "current driver" "$cur"
	printf '  %-15s %s%s\n' "target driver" "$driver" "$([ -r "$state" ] && echo " (remembered in $state)")"
	printf '  %-15s %s\n' "load modules" "$driver (modprobe, if it is a module)"
	printf '  %-15s %s\n' commands "modprobe $driver; $DEVBIND --bind=$driver $pci"
	if [ "$dry_run" -eq 1 ]; then
		echo "bind-nic: dry run: nothing changed"
		exit 0
	fi
	[ "$(id -u)" -eq 0 ] || die "binding needs root"
	modprobe "$driver" 2>/dev/null || true
	"$DEVBIND" --bind="$driver" "$pci"
	[ "$(driver_of_pci "$pci")" = "$driver" ] || die "$pci is not bound to $driver after $DEVBIND"
	rm -f "$state"
	echo "bind-nic: $pci is back on $driver: $(ifaces_of_pci "$pci" | tr '\n' ' ')"
	exit 0
fi

# Bind: every kernel interface of the device must be free.
for ifc in "${ifaces[@]}"; do
	why=$(in_use "$ifc")
	[ -z "$why" ] || die "$why"
done
driver=${driver:-vfio-pci}
if [ "$cur" = "$driver" ]; then
	# Nothing to do: a service's ExecStartPre may run this at every start.
	echo "bind-nic: $pci is already bound to $driver: nothing to do"
	exit 0
fi
iommu="groups present"
if [ -z "$(ls -A "$SYSFS/kernel/iommu_groups" 2>/dev/null)" ]; then
	iommu="none (no IOMMU enabled: vfio-pci then needs the unsafe no-IOMMU mode, or use --driver uio_pci_generic)"
fi

echo "bind-nic: plan"
printf '  %-15s %s%s\n' device "$pci" "${desc:+ ($desc)}"
printf '  %-15s %s\n' interfaces "${ifaces[*]:-none} (free: no default route, no address, no routes, no master)"
printf '  %-15s %s\n' "current driver" "$cur"
printf '  %-15s %s\n' "target driver" "$driver"
printf '  %-15s %s\n' "load modules" "$(modules_for "$driver")"
printf '  %-15s %s\n' iommu "$iommu"
printf '  %-15s %s\n' "state file" "$state (driver=$cur, for --restore)"
printf '  %-15s %s\n' commands "modprobe $driver; $DEVBIND --bind=$driver $pci"
printf '  %-15s %s\n' undo "$0 --restore $pci"
if [ "$dry_run" -eq 1 ]; then
	echo "bind-nic: dry run: nothing changed"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "binding needs root"
command -v "$DEVBIND" >/dev/null || die "$DEVBIND not found (Debian: apt install dpdk)"
modprobe "$driver"
mkdir -p "$STATE_DIR"
printf 'driver=%s\nifaces=%s\n' "$cur" "${ifaces[*]:-}" > "$state"
"$DEVBIND" --bind="$driver" "$pci"
[ "$(driver_of_pci "$pci")" = "$driver" ] || die "$pci is not bound to $driver after $DEVBIND"
echo "bind-nic: $pci is bound to $driver (was $cur); give it back with: $0 --restore $pci"
