package k8s

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/faas-wasm/faas-wasm/internal/proxy"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Invoker returns the handler serving calls to a function: the shared
// invocation proxy (package proxy: round robin, a refused connection retried
// on another replica, 502/503/504 as local containers answer) over the ready
// endpoints of the function's EndpointSlices (pod IP:8080), through one
// pooled keep-alive transport. A handler of a call the provider serves
// itself (WithColdServe) holds the call's place in the provider's budget
// until it serves the call or ctx ends: serve it with a request of ctx.
//
// # Errors
// provider.ErrNotFound if the function does not exist; provider.ErrUnavailable
// if it has no ready endpoint (the message names why pods are waiting, e.g.
// an image pull failure) and the provider does not serve the call itself
// (WithColdServe).
func (b *Cluster) Invoker(ctx context.Context, name, namespace string) (http.Handler, error) {
	ns := b.nsOrDefault(namespace)
	d, err := b.deployments.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) || (err == nil && !isFunction(d)) {
		return nil, fmt.Errorf("invoke %s.%s: %w", name, ns, provider.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("invoke %s.%s: %w", name, ns, err)
	}
	if len(b.endpoints(name, ns)) == 0 {
		h, podReady := b.coldHandler(ctx, d)
		if h != nil {
			return h, nil
		}
		if !podReady {
			why := ""
			if r := b.waitingReasons(name, ns); r != "" {
				why = " (" + r + ")"
			}
			return nil, fmt.Errorf("invoke %s.%s: no ready replica%s: %w", name, ns, why, provider.ErrUnavailable)
		}
	}
	key := ns + "/" + name
	if p, ok := b.proxies.Load(key); ok {
		return p.(*proxy.Proxy), nil
	}
	p, _ := b.proxies.LoadOrStore(key, proxy.New(name, ns, func() []string { return b.endpoints(name, ns) }, b.opts.transport, b.log))
	return p.(*proxy.Proxy), nil
}

// endpoints returns the addresses ("ip:port") of a function's ready
// endpoints, from the EndpointSlice cache: none while its Deployment asks
// for zero replicas, because the endpoints left then are pods shutting
// down that the slice still lists for a moment (a call sent there is
// refused; it must wake the function or be served by the provider).
func (b *Cluster) endpoints(name, ns string) []string {
	if d, err := b.deployments.Deployments(ns).Get(name); err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == 0 {
		return nil
	}
	objs, err := b.slices.ByIndex(indexService, ns+"/"+name)
	if err != nil {
		return nil
	}
	var out []string
	for _, obj := range objs {
		s, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			continue
		}
		if s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		port := strconv.Itoa(slicePort(s))
		for _, ep := range s.Endpoints {
			if (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) || len(ep.Addresses) == 0 {
				continue
			}
			out = append(out, net.JoinHostPort(ep.Addresses[0], port))
		}
	}
	return out
}

// indexService is the EndpointSlice index by "namespace/service".
const indexService = "service"

// serviceIndex files an EndpointSlice under its namespace and Service.
func serviceIndex(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || s.Labels[discoveryv1.LabelServiceName] == "" {
		return nil, nil
	}
	return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
}

// slicePort is the port of an EndpointSlice's "http" port (the Service's
// only one), FunctionPort when the slice names none.
func slicePort(s *discoveryv1.EndpointSlice) int {
	for _, p := range s.Ports {
		if p.Port != nil && (p.Name == nil || *p.Name == "http") {
			return int(*p.Port)
		}
	}
	return FunctionPort
}

// waitingReasons describes why a function's pods are not running, e.g.
// "pod fn-abc: ImagePullBackOff: Back-off pulling image ...".
func (b *Cluster) waitingReasons(name, ns string) string {
	pods, err := b.pods.Pods(ns).List(functionSelector(name))
	if err != nil {
		return ""
	}
	var out []string
	for _, p := range pods {
		for _, c := range p.Status.ContainerStatuses {
			if w := c.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				out = append(out, fmt.Sprintf("pod %s: %s: %s", p.Name, w.Reason, w.Message))
			}
		}
	}
	return strings.Join(out, "; ")
}
