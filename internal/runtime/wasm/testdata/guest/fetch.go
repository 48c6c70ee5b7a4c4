package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"unsafe"
)

//go:wasmimport faas_http request
func httpRequest(ptr unsafe.Pointer, n int32) int32

//go:wasmimport faas_http response_len
func httpResponseLen(h int32) int32

//go:wasmimport faas_http response_read
func httpResponseRead(h int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport faas_http close
func httpClose(h int32)

// fetch GETs url through faas_http and returns the status and body.
func fetch(url string) (int, []byte, error) {
	msg := []byte("GET " + url + " HTTP/1.1\r\nX-From: guest\r\n\r\n")
	h := httpRequest(unsafe.Pointer(&msg[0]), int32(len(msg)))
	buf := make([]byte, httpResponseLen(h)+1)
	n := httpResponseRead(h, unsafe.Pointer(&buf[0]), int32(len(buf)))
	buf = buf[:n]
	if h < 0 {
		return 0, nil, errors.New(string(buf))
	}
	httpClose(h)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(buf)), nil)
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
