package containerdtest

import (
	"fmt"
	"net"
	"os"
	"sync/atomic"
)

var subnetSeq atomic.Int64

// FreeSubnet returns a /24 for a test's own CNI bridge that overlaps no
// address of the host's interfaces. It picks from 10.150-10.239, clear of
// the usual cluster ranges (10.96/12 services, 10.243-10.244 pods) and of
// the product's default 10.62/16, starting at a place derived from the
// process ID so that parallel test binaries rarely try the same one.
//
// # Errors
//
// When none of 200 candidates is free.
func FreeSubnet() (string, error) {
	seq := int(subnetSeq.Add(1))
	base := 150 + (os.Getpid()+seq*7)%90
	for i := range 200 {
		s := fmt.Sprintf("10.%d.%d.0/24", base, (seq*13+i)%250)
		_, subnet, _ := net.ParseCIDR(s)
		if !hostUses(subnet) {
			return s, nil
		}
	}
	return "", fmt.Errorf("no free /24 in 10.%d.0.0/16 for a test network", base)
}

// hostUses reports whether a host interface address overlaps subnet.
func hostUses(subnet *net.IPNet) bool {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && (subnet.Contains(ipn.IP) || ipn.Contains(subnet.IP)) {
			return true
		}
	}
	return false
}
