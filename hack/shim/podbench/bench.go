package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

type kind struct{ name, image, runtimeClass string }

type result struct {
	deploy, replace time.Duration
	podRSS, shimRSS float64
}

type series struct{ deploy, replace, podRSS, shimRSS []float64 }

func (s *series) add(r result) {
	s.deploy = append(s.deploy, r.deploy.Seconds()*1000)
	s.replace = append(s.replace, r.replace.Seconds()*1000)
	s.podRSS = append(s.podRSS, r.podRSS)
	s.shimRSS = append(s.shimRSS, r.shimRSS)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type bench struct {
	cs   kubernetes.Interface
	ns   string
	path string
	http http.Client
}

func (b *bench) ensureNamespace(ctx context.Context) error {
	_, err := b.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (b *bench) deleteNamespace() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b.cs.CoreV1().Namespaces().Delete(ctx, b.ns, metav1.DeleteOptions{})
}

func deployment(name string, k kind) *appsv1.Deployment {
	one := int32(1)
	grace := int64(2)
	no := false
	labels := map[string]string{"app": name}
	spec := corev1.PodSpec{
		AutomountServiceAccountToken:  &no,
		TerminationGracePeriodSeconds: &grace,
		EnableServiceLinks:            &no,
		Containers: []corev1.Container{{
			Name: "fn", Image: k.image, ImagePullPolicy: corev1.PullIfNotPresent,
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
				corev1.ResourceMemory: resourceMi(128),
			}},
			ReadinessProbe: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/_/health", Port: intstr.FromInt32(8080)}},
				PeriodSeconds: 1,
			},
		}},
	}
	if k.runtimeClass != "" {
		spec.RuntimeClassName = &k.runtimeClass
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}

// round deploys k, times the first 200, replaces the pod, times again,
// measures memory, and removes the Deployment.
func (b *bench) round(ctx context.Context, k kind, suffix string) (result, error) {
	var r result
	name := k.name + "-" + suffix
	start := time.Now()
	if _, err := b.cs.AppsV1().Deployments(b.ns).Create(ctx, deployment(name, k), metav1.CreateOptions{}); err != nil {
		return r, err
	}
	defer b.cs.AppsV1().Deployments(b.ns).Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{})
	pod, err := b.firstOK(ctx, name, "", 120*time.Second)
	if err != nil {
		return r, err
	}
	r.deploy = time.Since(start)
	r.podRSS, r.shimRSS = podMemory(pod)
	start = time.Now()
	if err := b.cs.CoreV1().Pods(b.ns).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		return r, err
	}
	if _, err := b.firstOK(ctx, name, pod.UID, 120*time.Second); err != nil {
		return r, fmt.Errorf("replacement: %w", err)
	}
	r.replace = time.Since(start)
	return r, nil
}

// firstOK waits for a pod of app=name other than old to have an IP that
// answers b.path with 200; it polls the API every 20 ms and HTTP every 5 ms.
func (b *bench) firstOK(ctx context.Context, name string, old types.UID, timeout time.Duration) (*corev1.Pod, error) {
	deadline := time.Now().Add(timeout)
	var pod *corev1.Pod
	lastList := time.Time{}
	for time.Now().Before(deadline) {
		if pod == nil || time.Since(lastList) > 500*time.Millisecond {
			list, err := b.cs.CoreV1().Pods(b.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
			if err != nil {
				return nil, err
			}
			lastList = time.Now()
			pod = nil
			for i := range list.Items {
				p := &list.Items[i]
				if p.UID != old && p.DeletionTimestamp == nil && p.Status.PodIP != "" {
					pod = p
				}
			}
			if pod == nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
		}
		if b.ok("http://" + pod.Status.PodIP + ":8080" + b.path) {
			return pod, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil, errors.New("no 200 in time")
}

func (b *bench) ok(url string) bool {
	b.http.Timeout = 2 * time.Second
	resp, err := b.http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
