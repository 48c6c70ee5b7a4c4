//go:build wasip1

package fn

import (
	"fmt"
	"net/http"
	"runtime"
	"unsafe"
)

//go:wasmimport faas_http request
func hostRequest(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport faas_http response_len
func hostResponseLen(handle int32) int32

//go:wasmimport faas_http response_read
func hostResponseRead(handle int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport faas_http close
func hostClose(handle int32)

func init() {
	t := messageTransport{do: hostDo}
	http.DefaultTransport = t
	http.DefaultClient.Transport = t
}

// hostDo sends one request message through the faas_http host module and
// returns the response message.
func hostDo(msg []byte) ([]byte, error) {
	if len(msg) == 0 {
		return nil, fmt.Errorf("faas_http: empty request")
	}
	h := hostRequest(unsafe.Pointer(&msg[0]), uint32(len(msg)))
	runtime.KeepAlive(msg)
	n := hostResponseLen(h)
	var buf []byte
	if n > 0 {
		buf = make([]byte, n)
		got := hostResponseRead(h, unsafe.Pointer(&buf[0]), uint32(n))
		if got >= 0 && int(got) < len(buf) {
			buf = buf[:got]
		}
	}
	if h < 0 {
		return nil, fmt.Errorf("%w: %s", ErrHostRefused, buf)
	}
	hostClose(h)
	return buf, nil
}
