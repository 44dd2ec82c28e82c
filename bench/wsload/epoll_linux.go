package main

import (
	"strconv"
	"sync/atomic"
	"syscall"

	fws "github.com/fasthttp/websocket"
)

// epollReader reads the broadcast members' sockets from ONE goroutine with epoll and raw
// reads, parsing the server's (unmasked) frames itself, instead of one goroutine per member
// blocked in ReadMessage. With 10,000 members on one client CPU, the per-goroutine reader
// spends much of the measured time in its own wake-ups; this one measures closer to when
// the server's writes arrive. Each text frame holding a round number counts for that round.
type epollReader struct {
	ep    int
	conns []*fws.Conn
	fds   []int
	bufs  [][]byte // partial frames per member
	stop  atomic.Bool
}

func newEpollReader(cs []*fws.Conn) (*epollReader, error) {
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		return nil, err
	}
	r := &epollReader{ep: ep, conns: cs, fds: make([]int, len(cs)), bufs: make([][]byte, len(cs))}
	for i, c := range cs {
		sc, ok := c.NetConn().(syscall.Conn)
		if !ok {
			return nil, syscall.EINVAL
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return nil, err
		}
		_ = raw.Control(func(fd uintptr) { r.fds[i] = int(fd) })
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, r.fds[i], &ev); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// run counts round numbers into got until stopped.
func (r *epollReader) run(got []atomic.Int64, rounds int) {
	events := make([]syscall.EpollEvent, 1024)
	buf := make([]byte, 64<<10)
	for !r.stop.Load() {
		n, err := syscall.EpollWait(r.ep, events, 50)
		if err != nil && err != syscall.EINTR {
			return
		}
		for _, ev := range events[:max(n, 0)] {
			i := int(ev.Fd)
			for {
				m, err := syscall.Read(r.fds[i], buf)
				if m <= 0 || err != nil {
					break
				}
				r.bufs[i] = append(r.bufs[i], buf[:m]...)
				r.bufs[i] = parseFrames(r.bufs[i], func(op byte, payload []byte) {
					if op != fws.TextMessage {
						return
					}
					if k, err := strconv.Atoi(string(payload)); err == nil && k <= rounds {
						got[k].Add(1)
					}
				})
				if m < len(buf) {
					break
				}
			}
		}
	}
}

// parseFrames calls f for each complete unmasked frame at the start of b and returns the
// incomplete rest.
func parseFrames(b []byte, f func(op byte, payload []byte)) []byte {
	for len(b) >= 2 {
		op, n, h := b[0]&0x0f, int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return b
			}
			n, h = int(b[2])<<8|int(b[3]), 4
		case 127:
			if len(b) < 10 {
				return b
			}
			n = 0
			for _, x := range b[2:10] {
				n = n<<8 | int(x)
			}
			h = 10
		}
		if len(b) < h+n {
			return b
		}
		f(op, b[h:h+n])
		b = b[h+n:]
	}
	if len(b) == 0 {
		return b[:0]
	}
	return b
}
