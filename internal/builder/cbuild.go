package builder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// cSDKHeader is the C SDK's header; a source that includes it is linked
// with the SDK's faaswasm.c.
const cSDKHeader = "faaswasm.h"

// cBuild compiles the C sources of handler (a directory of .c files or one
// .c file, relative to root) with clang as out says: --target=wasm32-wasi
// against wasi-libc (with a shadow stack of stackSize bytes, 0 = wasm-ld's
// 64 KiB; -mexec-model=reactor for a reactor), or -static for the host
// (stackSize ignored). Sources that include faaswasm.h are
// linked with the C SDK (WithCSDK, else sdk/c found in a parent directory of
// the handler or of the working directory); a plain C program speaking the
// CGI side of the ABI needs no SDK.
//
// Reproducibility: -ffile-prefix-map maps the source root to /src and the
// SDK to /faaswasm, so __FILE__ and debug paths do not name the checkout.
func (b *Builder) cBuild(ctx context.Context, root, handler string, out output, stackSize int) ([]byte, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", handler, err)
	}
	srcs, err := cSources(filepath.Join(absRoot, handler))
	if err != nil {
		return nil, fmt.Errorf("build %s: %w: %v", handler, ErrBuild, err)
	}
	args := []string{"-std=c11", "-O2", "-ffile-prefix-map=" + absRoot + "=/src"}
	if out != outputNative {
		args = append([]string{"--target=wasm32-wasi"}, append(args, "-Wl,--strip-all")...)
		if out == outputReactor {
			args = append(args, "-mexec-model=reactor")
		}
		if stackSize > 0 {
			args = append(args, "-Wl,-z,stack-size="+strconv.Itoa(stackSize))
		}
	} else {
		if _, err := nativeTriple(b.goarch); err != nil {
			return nil, fmt.Errorf("build %s: %w", handler, err)
		}
		args = append(args, "-static", "-s")
	}
	needSDK, err := usesCSDK(srcs)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", handler, err)
	}
	if needSDK {
		sdk, err := b.findCSDK(filepath.Join(absRoot, handler))
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", handler, err)
		}
		args = append(args, "-ffile-prefix-map="+sdk+"=/faaswasm", "-I", sdk)
		srcs = append(srcs, filepath.Join(sdk, "faaswasm.c"))
	}
	tmp, err := os.MkdirTemp("", "faas-wasm-cc-")
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", handler, err)
	}
	defer os.RemoveAll(tmp)
	artifact := filepath.Join(tmp, "out")
	args = append(append(args, "-o", artifact), srcs...)
	cmd := exec.CommandContext(ctx, b.cc, args...)
	cmd.Dir = absRoot
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=0")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s (%s %s): %w: %v: %s", handler, b.cc, strings.Join(args[:3], " "), ErrBuild, err, tail(output.String(), 2000))
	}
	data, err := os.ReadFile(artifact)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", handler, err)
	}
	return data, nil
}

// cSources lists the .c files of path (sorted), or path itself when it is a
// .c file.
func cSources(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if filepath.Ext(path) != ".c" {
			return nil, fmt.Errorf("%s is neither a directory nor a .c file", path)
		}
		return []string{path}, nil
	}
	srcs, err := filepath.Glob(filepath.Join(path, "*.c"))
	if err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no .c files in %s", path)
	}
	sort.Strings(srcs)
	return srcs, nil
}

// usesCSDK reports whether a source includes faaswasm.h while none of them
// is the SDK's own faaswasm.c (a handler directory may carry a copy).
func usesCSDK(srcs []string) (bool, error) {
	uses := false
	for _, s := range srcs {
		if filepath.Base(s) == "faaswasm.c" {
			return false, nil
		}
		data, err := os.ReadFile(s)
		if err != nil {
			return false, err
		}
		if bytes.Contains(data, []byte(`#include "`+cSDKHeader+`"`)) || bytes.Contains(data, []byte(`#include <`+cSDKHeader+`>`)) {
			uses = true
		}
	}
	return uses, nil
}

// findCSDK returns the C SDK directory: WithCSDK's, else the first sdk/c
// holding faaswasm.h in from or a parent, else in the working directory or a
// parent.
func (b *Builder) findCSDK(from string) (string, error) {
	if b.cSDK != "" {
		if _, err := os.Stat(filepath.Join(b.cSDK, cSDKHeader)); err != nil {
			return "", fmt.Errorf("%w: C SDK %s: %v", ErrBuild, b.cSDK, err)
		}
		return filepath.Abs(b.cSDK)
	}
	starts := []string{from}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			sdk := filepath.Join(dir, "sdk", "c")
			if _, err := os.Stat(filepath.Join(sdk, cSDKHeader)); err == nil {
				return sdk, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("%w: the sources include %s but no sdk/c/%s was found above %s or the working directory (give the SDK directory: faas-wasm build --c-sdk DIR)", ErrBuild, cSDKHeader, cSDKHeader, from)
}
