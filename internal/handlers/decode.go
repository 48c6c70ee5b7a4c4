package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/faas-wasm/faas-wasm/provider"
)

// readBody reads a request body of at most max bytes.
func readBody(body io.Reader, max int64) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %v: %w", err, provider.ErrInvalid)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("request body is larger than %d bytes: %w", max, provider.ErrTooLarge)
	}
	return data, nil
}

// decodeJSON reads one JSON value of at most max bytes from body into v.
// Unknown fields are accepted (clients send fields this provider ignores).
func decodeJSON(body io.Reader, max int64, v any) error {
	data, err := readBody(body, max)
	if err != nil {
		return err
	}
	return unmarshalOne(data, v)
}

// unmarshalOne decodes data, which must hold exactly one JSON value, into v.
func unmarshalOne(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("request body is empty: %w", provider.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body is not valid JSON: %v: %w", err, provider.ErrInvalid)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("request body holds more than one JSON value: %w", provider.ErrInvalid)
	}
	return nil
}

// resolveNamespace picks the namespace of a request from the query and the
// body (they must agree when both are set), defaults it and validates it.
func resolveNamespace(query, body, def string) (string, error) {
	ns := query
	switch {
	case query != "" && body != "" && query != body:
		return "", fmt.Errorf("namespace %q in the query differs from namespace %q in the body: %w",
			query, body, provider.ErrInvalid)
	case ns == "":
		ns = body
	}
	if ns == "" {
		ns = def
	}
	if err := provider.ValidateName("namespace", ns); err != nil {
		return "", err
	}
	return ns, nil
}

// functionRef resolves a function named in a path ("name" or "name.ns") plus
// an optional ?namespace= into a validated name and namespace.
func functionRef(raw, queryNS, def string) (name, ns string, err error) {
	name, pathNS := raw, ""
	if provider.ValidateName("function", raw) != nil {
		name, pathNS = provider.SplitFunctionName(raw)
	}
	if err := provider.ValidateName("function", name); err != nil {
		return "", "", err
	}
	if ns, err = resolveNamespace(queryNS, pathNS, def); err != nil {
		return "", "", err
	}
	return name, ns, nil
}

// decodeDelete decodes and validates the body of DELETE /system/functions.
func decodeDelete(body io.Reader, max int64, queryNS, def string) (name, ns string, err error) {
	var req provider.DeleteFunctionRequest
	if err := decodeJSON(body, max, &req); err != nil {
		return "", "", err
	}
	if req.FunctionName == "" {
		return "", "", fmt.Errorf("functionName is required: %w", provider.ErrInvalid)
	}
	if err := provider.ValidateName("function", req.FunctionName); err != nil {
		return "", "", err
	}
	if ns, err = resolveNamespace(queryNS, req.Namespace, def); err != nil {
		return "", "", err
	}
	return req.FunctionName, ns, nil
}

// decodeScale decodes and validates the body of POST
// /system/scale-function/{name}. The path names the function; a serviceName
// in the body must match it.
func decodeScale(body io.Reader, max int64, pathName, queryNS, def string) (provider.ScaleServiceRequest, error) {
	var req provider.ScaleServiceRequest
	if err := decodeJSON(body, max, &req); err != nil {
		return req, err
	}
	name, ns, err := functionRef(pathName, queryNS, def)
	if err != nil {
		return req, err
	}
	if req.ServiceName != "" && req.ServiceName != name {
		return req, fmt.Errorf("serviceName %q differs from function %q in the path: %w",
			req.ServiceName, name, provider.ErrInvalid)
	}
	if req.Namespace != "" && req.Namespace != ns {
		return req, fmt.Errorf("namespace %q in the body differs from namespace %q: %w",
			req.Namespace, ns, provider.ErrInvalid)
	}
	req.ServiceName, req.Namespace = name, ns
	return req, nil
}

// decodeSecret decodes and validates the body of the /system/secrets routes.
// Errors never quote the secret's value.
func decodeSecret(body io.Reader, max int64, queryNS, def string) (provider.Secret, error) {
	var s provider.Secret
	if err := decodeJSON(body, max, &s); err != nil {
		return provider.Secret{}, err
	}
	if s.Name == "" {
		return provider.Secret{}, fmt.Errorf("secret name is required: %w", provider.ErrInvalid)
	}
	if err := provider.ValidateName("secret", s.Name); err != nil {
		return provider.Secret{}, err
	}
	ns, err := resolveNamespace(queryNS, s.Namespace, def)
	if err != nil {
		return provider.Secret{}, err
	}
	s.Namespace = ns
	return s, nil
}

// decodeNamespace decodes the body of POST and PUT /system/namespace/{ns},
// optional when the path names the namespace. A name in the body must match
// the path; with no name in the path (POST /system/namespace/, faas-cli's
// form) the body's name is required.
func decodeNamespace(body io.Reader, max int64, pathName string) (provider.FunctionNamespace, error) {
	if pathName != "" {
		if err := provider.ValidateName("namespace", pathName); err != nil {
			return provider.FunctionNamespace{}, err
		}
	}
	var ns provider.FunctionNamespace
	data, err := readBody(body, max)
	if err != nil {
		return ns, err
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := unmarshalOne(data, &ns); err != nil {
			return provider.FunctionNamespace{}, err
		}
	}
	if pathName == "" {
		if ns.Name == "" {
			return provider.FunctionNamespace{}, fmt.Errorf("namespace name is required (in the path or the body's name): %w", provider.ErrInvalid)
		}
		if err := provider.ValidateName("namespace", ns.Name); err != nil {
			return provider.FunctionNamespace{}, err
		}
		return ns, nil
	}
	if ns.Name != "" && ns.Name != pathName {
		return provider.FunctionNamespace{}, fmt.Errorf("namespace %q in the body differs from %q in the path: %w",
			ns.Name, pathName, provider.ErrInvalid)
	}
	ns.Name = pathName
	return ns, nil
}
