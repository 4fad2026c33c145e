package remote_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/soundtime/soundtime/pkg/remote"
)

func TestIsPublic(t *testing.T) {
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.215.14",
		// Just outside the special ranges, so the masks are the right size.
		"9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
		"128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
		"192.0.1.0", "192.0.3.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
		"223.255.255.255",
		"2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001::1", "2001:200::1",
		"::ffff:8.8.8.8",
	}
	nonPublic := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.255",
		"127.0.0.1", "127.255.255.254", "169.254.169.254", "169.254.0.1", "172.16.0.1",
		"172.31.255.255", "192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.0.1", "192.168.255.255",
		"198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
		"fe80::1", "fe80::1%eth0", "fec0::1", "fc00::1", "fd00::1", "fdff:ffff::1", "ff02::1",
		"ff0e::1", "64:ff9b::7f00:1", "64:ff9b:1::a00:1", "100::1", "2001::1", "2001:db8::1",
		"2002:7f00:1::1", "3fff::1", "4000::1", "::ffff:0:7f00:1",
	}
	for _, s := range public {
		if !remote.IsPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s: not public, want public", s)
		}
	}
	for _, s := range nonPublic {
		if remote.IsPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s: public, want refused", s)
		}
	}
	if remote.IsPublic(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

func TestParseAllowIPs(t *testing.T) {
	got, err := remote.ParseAllowIPs(" 127.0.0.0/8, ::1/128,,10.1.2.3 , ::ffff:192.168.0.0/112, 10.9.9.9/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.1.2.3/32"),
		netip.MustParsePrefix("192.168.0.0/16"), // mapped form unmapped
		netip.MustParsePrefix("10.0.0.0/8"),     // masked
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := remote.ParseAllowIPs(""); err != nil || got != nil {
		t.Errorf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"localhost", "10.0.0.0/33", "10.0.0/8", "127.0.0.1,nope"} {
		if _, err := remote.ParseAllowIPs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAllowed(t *testing.T) {
	allow, err := remote.ParseAllowIPs("127.0.0.2, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	c := remote.New(remote.Options{AllowIPs: allow})
	for s, want := range map[string]bool{
		"127.0.0.2": true, "::ffff:127.0.0.2": true, "127.0.0.1": false, "fd12::1": true,
		"fe80::1": false, "8.8.8.8": true, "10.0.0.1": false,
	} {
		if got := c.Allowed(netip.MustParseAddr(s)); got != want {
			t.Errorf("%s: %v, want %v", s, got, want)
		}
	}
}
