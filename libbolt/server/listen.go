package server

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

const soReusePort = 0xf // SO_REUSEPORT on Linux; the syscall package does not name it

// listen binds host:port with an explicit listen(2) backlog, which net.Listen cannot set,
// and SO_REUSEPORT when several worker processes share the address.
func listen(host string, port, backlog int, reusePort bool) (net.Listener, error) {
	ip := net.ParseIP(host)
	if ip == nil {
		addrs, err := net.LookupIP(host)
		if err != nil || len(addrs) == 0 {
			return nil, fmt.Errorf("cannot resolve host %q: %v", host, err)
		}
		ip = addrs[0]
	}
	family, sa := syscall.AF_INET, syscall.Sockaddr(nil)
	if v4 := ip.To4(); v4 != nil {
		a := &syscall.SockaddrInet4{Port: port}
		copy(a.Addr[:], v4)
		sa = a
	} else {
		family = syscall.AF_INET6
		a := &syscall.SockaddrInet6{Port: port}
		copy(a.Addr[:], ip.To16())
		sa = a
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if err := bindAndListen(fd, sa, backlog, reusePort); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	f := os.NewFile(uintptr(fd), addr)
	defer f.Close() // FileListener dups the descriptor
	return net.FileListener(f)
}

func bindAndListen(fd int, sa syscall.Sockaddr, backlog int, reusePort bool) error {
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if reusePort {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 1); err != nil {
			return err
		}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return err
	}
	return syscall.Listen(fd, backlog)
}
