package server

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// Closing a listening socket resets every connection still waiting in its accept queue, and
// those clients may already have sent their request. With SO_REUSEPORT that happens on every
// worker restart, not only at shutdown. So before closing, the listener first stops taking
// new connections (a socket filter that drops everything: a dropped SYN is retransmitted a
// second later and then reaches another worker of the group, or is refused once all are
// gone), and the accept loop empties the queue; only then is the socket closed.
const quiesceMax = time.Second

// quiesce stops ln from receiving new connections and waits, up to quiesceMax, until the
// connections already queued on it have been accepted. Listeners that are not TCP (tests use
// in-memory ones) are left alone.
func quiesce(ln net.Listener) {
	if l, ok := ln.(lingerListener); ok {
		ln = l.Listener
	}
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		return
	}
	attached := false
	_ = raw.Control(func(fd uintptr) { attached = dropAll(fd) == nil })
	if !attached {
		return
	}
	deadline := time.Now().Add(quiesceMax)
	for time.Now().Before(deadline) {
		queued := -1
		_ = raw.Control(func(fd uintptr) { queued = acceptQueueLen(fd) })
		if queued <= 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// dropAll attaches a classic BPF program of one instruction, "return 0" (keep no bytes).
func dropAll(fd uintptr) error {
	prog := []syscall.SockFilter{{Code: syscall.BPF_RET | syscall.BPF_K, K: 0}}
	fprog := syscall.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := syscall.Syscall6(syscall.SYS_SETSOCKOPT, fd, syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&fprog)), unsafe.Sizeof(fprog), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// acceptQueueLen reads a listener's accept queue length: for a socket in LISTEN state Linux
// reports it in tcpi_unacked. -1 if unknown.
func acceptQueueLen(fd uintptr) int {
	var info syscall.TCPInfo
	size := uint32(unsafe.Sizeof(info))
	_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
		uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return -1
	}
	return int(info.Unacked)
}
