package local

import (
	"container/list"
	"sync"
)

// moduleCache keeps Wasm modules and their compiled programs by content,
// shared by every function and kept across deploys: by module digest
// (SHA-256 of the module's bytes, hex) the bytes and the compiled program,
// and by image digest (what an image reference resolved to) the module
// digest the image holds. A deploy of an image whose digest was seen then
// needs neither a pull nor a compile. Both digests name content, so an
// entry never goes stale; a moved tag resolves to another digest.
//
// Modules that functions use are always kept. The others are kept, most
// recently used first, while the size of all entries (module bytes plus
// compiled code) stays within max; with max 0 only modules in use are kept.
// It is safe for concurrent use.
type moduleCache struct {
	max int64

	mu     sync.Mutex
	mods   map[string]*cachedModule // by module digest
	images map[string]*cachedModule // by image digest
	idle   list.List                // modules no function uses, most recent first
	size   int64                    // of every entry
}

// cachedModule is one module: read its fields only while it is in use.
type cachedModule struct {
	digest string // SHA-256 of module, hex
	module []byte
	prog   wasmProgram
	size   int64

	users  int           // functions using it
	images []string      // image digests naming it
	elem   *list.Element // in idle, when users is 0
}

func newModuleCache(max int64) *moduleCache {
	return &moduleCache{max: max, mods: map[string]*cachedModule{}, images: map[string]*cachedModule{}}
}

// image returns the module that the image of this digest holds, counted as
// used (release it), or nil when it is not cached.
func (c *moduleCache) image(digest string) *cachedModule {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.images[digest]
	if m != nil {
		c.use(m)
	}
	return m
}

// module returns the module of this digest counted as used (release it),
// remembering that the image of imageDigest ("" for none) holds it; nil
// when it is not cached.
func (c *moduleCache) module(digest, imageDigest string) *cachedModule {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.mods[digest]
	if m != nil {
		c.use(m)
		c.name(m, imageDigest)
	}
	return m
}

// add caches a module just compiled, counted as used (release it), and
// returns it; when another deploy cached the same module meanwhile, that
// entry is returned instead.
func (c *moduleCache) add(m *cachedModule, imageDigest string) *cachedModule {
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.mods[m.digest]; have != nil {
		m = have
	} else {
		c.mods[m.digest] = m
		c.size += m.size
	}
	c.use(m)
	c.name(m, imageDigest)
	c.trim()
	return m
}

// release ends one use of the module of this digest; a module no function
// uses becomes the most recently used idle one.
func (c *moduleCache) release(digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.mods[digest]
	if m == nil || m.users == 0 {
		return
	}
	m.users--
	if m.users == 0 {
		m.elem = c.idle.PushFront(m)
	}
	c.trim()
}

// trim evicts idle modules, least recently used first, while the cache is
// over its size.
func (c *moduleCache) trim() {
	for c.size > c.max && c.idle.Len() > 0 {
		c.evict(c.idle.Back().Value.(*cachedModule))
	}
}

// stats reports how many modules the cache holds and their size.
func (c *moduleCache) stats() (modules int, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mods), c.size
}

func (c *moduleCache) use(m *cachedModule) {
	if m.users == 0 && m.elem != nil {
		c.idle.Remove(m.elem)
		m.elem = nil
	}
	m.users++
}

func (c *moduleCache) name(m *cachedModule, imageDigest string) {
	if imageDigest == "" || c.images[imageDigest] == m {
		return
	}
	c.images[imageDigest] = m
	m.images = append(m.images, imageDigest)
}

func (c *moduleCache) evict(m *cachedModule) {
	c.idle.Remove(m.elem)
	m.elem = nil
	delete(c.mods, m.digest)
	for _, d := range m.images {
		if c.images[d] == m {
			delete(c.images, d)
		}
	}
	c.size -= m.size
}
