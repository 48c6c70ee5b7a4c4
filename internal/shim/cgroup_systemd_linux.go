package shim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/containerd/cgroups/v3/cgroup2"
	systemd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// systemdTimeout bounds each request to systemd (start or stop a scope).
const systemdTimeout = 30 * time.Second

// scopeProperties are the properties of the transient scope unit that holds
// a container under the systemd driver: in the spec's slice, with pid in
// it, delegated (the shim manages the cgroup below systemd), and with the
// spec's memory, CPU and pids limits, so that systemd, which owns the
// scope's cgroup, keeps them (it rewrites a unit's cgroup files from its
// properties). unified selects the cgroup v2 property names (MemoryMax,
// CPUWeight) over the v1 ones (MemoryLimit, CPUShares).
func scopeProperties(p cgroupPath, pid int, res *specs.LinuxResources, unified bool) []systemd.Property {
	props := []systemd.Property{
		systemd.PropDescription("faaswasm container " + p.unit),
		systemd.PropSlice(p.slice),
		systemd.PropPids(uint32(pid)),
		property("DefaultDependencies", false),
		property("Delegate", true),
		property("MemoryAccounting", true),
		property("CPUAccounting", true),
		property("TasksAccounting", true),
	}
	if m := res.Memory; m != nil && m.Limit != nil && *m.Limit > 0 {
		name := "MemoryLimit"
		if unified {
			name = "MemoryMax"
		}
		props = append(props, property(name, uint64(*m.Limit)))
	}
	if c := res.CPU; c != nil {
		if c.Shares != nil && *c.Shares > 0 {
			if unified {
				// The weight cgroup2 writes to cpu.weight for these shares.
				props = append(props, property("CPUWeight", *cgroup2.ToResources(res).CPU.Weight))
			} else {
				props = append(props, property("CPUShares", *c.Shares))
			}
		}
		if q := cpuQuotaPerSecUSec(c.Quota, c.Period); q != 0 {
			props = append(props, property("CPUQuotaPerSecUSec", q))
		}
	}
	if pl := res.Pids; pl != nil && pl.Limit > 0 {
		props = append(props, property("TasksMax", uint64(pl.Limit)))
	}
	return props
}

func property(name string, v any) systemd.Property {
	return systemd.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// cpuQuotaPerSecUSec is systemd's form of a CFS quota: microseconds of CPU
// per second, rounded up to systemd's 10 ms step so that the quota the shim
// writes afterwards fits within it; 0 when there is no quota (none, or a
// negative one, which means unlimited). A zero period means the kernel's
// default, 100 ms.
func cpuQuotaPerSecUSec(quota *int64, period *uint64) uint64 {
	if quota == nil || *quota <= 0 {
		return 0
	}
	per := uint64(100000)
	if period != nil && *period > 0 {
		per = *period
	}
	q := uint64(*quota)
	if q > math.MaxUint64/1000000 {
		return math.MaxUint64
	}
	usec := q * 1000000 / per
	if usec%10000 != 0 {
		usec = (usec/10000 + 1) * 10000
	}
	return usec
}

// startScope asks systemd to start the container's transient scope unit
// with pid in it. A leftover unit of that name (a failed one) is reset and
// the start retried once.
//
// # Errors
// systemd not reachable over D-Bus, or refusing or failing the unit.
func startScope(p cgroupPath, pid int, res *specs.LinuxResources, unified bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), systemdTimeout)
	defer cancel()
	conn, err := systemd.NewWithContext(ctx)
	if err != nil {
		return fmt.Errorf("systemd scope %s: connect to systemd over D-Bus: %w", p.unit, err)
	}
	defer conn.Close()
	props := scopeProperties(p, pid, res, unified)
	for retried := false; ; retried = true {
		done := make(chan string, 1)
		_, err = conn.StartTransientUnitContext(ctx, p.unit, "replace", props, done)
		if err == nil {
			return waitJob(ctx, "start", p.unit, done)
		}
		if retried || !isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
			return fmt.Errorf("systemd scope %s: start: %w", p.unit, err)
		}
		conn.ResetFailedUnitContext(ctx, p.unit)
	}
}

// stopScope asks systemd to stop the scope unit (killing what is left in
// it). A unit that is already gone is not an error.
func stopScope(unit string) error {
	ctx, cancel := context.WithTimeout(context.Background(), systemdTimeout)
	defer cancel()
	conn, err := systemd.NewWithContext(ctx)
	if err != nil {
		return fmt.Errorf("systemd scope %s: connect to systemd over D-Bus: %w", unit, err)
	}
	defer conn.Close()
	done := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctx, unit, "replace", done); err != nil {
		if isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			return nil
		}
		return fmt.Errorf("systemd scope %s: stop: %w", unit, err)
	}
	return waitJob(ctx, "stop", unit, done)
}

// waitJob waits for systemd's result of a unit job: "done" or an error.
func waitJob(ctx context.Context, what, unit string, done <-chan string) error {
	select {
	case r := <-done:
		if r != "done" {
			return fmt.Errorf("systemd scope %s: %s: job %s", unit, what, r)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("systemd scope %s: %s: no answer from systemd: %w", unit, what, ctx.Err())
	}
}

// isDBusError tells whether err is the D-Bus error name.
func isDBusError(err error, name string) bool {
	var e dbus.Error
	return errors.As(err, &e) && e.Name == name
}
