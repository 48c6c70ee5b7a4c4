package k8s

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/faas-wasm/faas-wasm/provider"
)

// normalize checks a deployment with provider.Validate, then its
// constraints, the one rule of this backend's own (they become the pod's node
// selector; local mode ignores them), and returns a copy sharing no maps or
// slices with the caller's, with Namespace set and the faas_function label
// added. It also returns the function's scale bounds.
//
// # Errors
// Errors wrapping provider.ErrInvalid that say which field is wrong.
func normalize(d provider.FunctionDeployment, ns string, maxReplicas uint64) (provider.FunctionDeployment, uint64, error) {
	if err := provider.Validate(d); err != nil {
		return d, 0, err
	}
	minReplicas, _, err := provider.ScaleBounds(d.Labels, maxReplicas)
	if err != nil {
		return d, 0, err
	}
	if _, err := nodeSelector(d.Constraints); err != nil {
		return d, 0, err
	}
	out := d.Normalized(ns)
	return out, minReplicas, nil
}

// resources converts contract resources into Kubernetes quantities.
//
// # Errors
// provider.ErrInvalid for an amount that is not a quantity.
func resources(r *provider.FunctionResources) (corev1.ResourceList, error) {
	if r == nil {
		return nil, nil
	}
	out := corev1.ResourceList{}
	for _, f := range []struct {
		name  corev1.ResourceName
		value string
	}{
		{corev1.ResourceMemory, r.Memory}, {corev1.ResourceCPU, r.CPU},
		{"nvidia.com/gpu", r.NvidiaGPU}, {"amd.com/gpu", r.AMDGPU}, {"intel.com/gpu", r.IntelGPU},
	} {
		if f.value == "" {
			continue
		}
		q, err := provider.ParseQuantity(string(f.name), f.value)
		if err != nil {
			return nil, err
		}
		out[f.name] = q
	}
	return out, nil
}

// nodeSelector turns constraints "key=value" (or "key==value") into a node selector.
//
// # Errors
// provider.ErrInvalid for a constraint of another form.
func nodeSelector(constraints []string) (map[string]string, error) {
	if len(constraints) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, c := range constraints {
		k, v, ok := strings.Cut(strings.Replace(c, "==", "=", 1), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("constraint %q: want key=value (a node label): %w", c, provider.ErrInvalid)
		}
		out[k] = v
	}
	return out, nil
}

// objectLabels are the labels of a function's Deployment, Service and pods.
func objectLabels(fn provider.FunctionDeployment, runtime string) map[string]string {
	l := maps.Clone(fn.Labels)
	l[provider.LabelFunction] = fn.Service
	l[LabelApp] = fn.Service
	l[LabelManagedBy] = ManagedBy
	l[LabelRuntime] = runtime
	return l
}

// buildDeployment returns the Deployment of a normalized function whose
// pods run image (fn.Image pinned to its digest, or as named); the spec
// annotation keeps fn as given.
func buildDeployment(fn provider.FunctionDeployment, image, runtime, runtimeClass string, replicas int32) (*appsv1.Deployment, error) {
	spec, err := json.Marshal(fn)
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	limits, _ := resources(fn.Limits)
	requests, _ := resources(fn.Requests)
	selector, _ := nodeSelector(fn.Constraints)
	lbl := objectLabels(fn, runtime)
	ann := maps.Clone(fn.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	podAnn := maps.Clone(ann)
	ann[AnnotationSpec] = string(spec)

	probe := func(period, failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/_/health", Port: intstr.FromInt32(FunctionPort), Scheme: corev1.URISchemeHTTP,
			}},
			PeriodSeconds: period, TimeoutSeconds: 1, FailureThreshold: failures, SuccessThreshold: 1,
		}
	}
	container := corev1.Container{
		Name:  fn.Service,
		Image: image,
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: FunctionPort, Protocol: corev1.ProtocolTCP}},
		Env:   env(fn),
		Resources: corev1.ResourceRequirements{
			Limits: limits, Requests: requests,
		},
		ReadinessProbe: probe(1, 3),
		LivenessProbe:  probe(10, 3),
		SecurityContext: &corev1.SecurityContext{
			ReadOnlyRootFilesystem:   &fn.ReadOnlyRootFilesystem,
			AllowPrivilegeEscalation: ptr(false),
		},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	container.LivenessProbe.InitialDelaySeconds = 2
	pod := corev1.PodSpec{
		Containers:                    []corev1.Container{container},
		NodeSelector:                  selector,
		EnableServiceLinks:            ptr(false),
		AutomountServiceAccountToken:  ptr(false),
		TerminationGracePeriodSeconds: ptr[int64](10),
	}
	if runtime == provider.RuntimeWasm {
		pod.RuntimeClassName = &runtimeClass
	}
	addVolumes(&pod, fn)
	maxUnavailable, maxSurge := intstr.FromInt32(0), intstr.FromInt32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: fn.Service, Namespace: fn.Namespace, Labels: lbl, Annotations: ann},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{provider.LabelFunction: fn.Service}},
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge},
			},
			RevisionHistoryLimit: ptr[int32](2),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(lbl), Annotations: podAnn},
				Spec:       pod,
			},
		},
	}, nil
}

// addVolumes mounts the function's secrets read-only at provider.SecretsPath
// (one projected volume of every listed Secret, each key a file) and, for a
// read-only root filesystem, a writable /tmp.
func addVolumes(pod *corev1.PodSpec, fn provider.FunctionDeployment) {
	c := &pod.Containers[0]
	if len(fn.Secrets) > 0 {
		var sources []corev1.VolumeProjection
		for _, s := range fn.Secrets {
			sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: s},
			}})
		}
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "secrets", VolumeSource: corev1.VolumeSource{
			Projected: &corev1.ProjectedVolumeSource{Sources: sources, DefaultMode: ptr[int32](0o444)},
		}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "secrets", MountPath: provider.SecretsPath, ReadOnly: true})
	}
	if fn.ReadOnlyRootFilesystem {
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"})
	}
}

// env is fprocess (from envProcess) followed by the envVars in name order.
func env(fn provider.FunctionDeployment) []corev1.EnvVar {
	var out []corev1.EnvVar
	if fn.EnvProcess != "" {
		out = append(out, corev1.EnvVar{Name: "fprocess", Value: fn.EnvProcess})
	}
	for _, k := range slices.Sorted(maps.Keys(fn.EnvVars)) {
		out = append(out, corev1.EnvVar{Name: k, Value: fn.EnvVars[k]})
	}
	return out
}

// buildService returns the ClusterIP Service of a function, owned by its
// Deployment so the garbage collector removes it with the Deployment.
func buildService(d *appsv1.Deployment) *corev1.Service {
	lbl := maps.Clone(d.Labels)
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name, Namespace: d.Namespace, Labels: lbl,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID,
			}},
		},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{provider.LabelFunction: d.Name},
			Ports: []corev1.ServicePort{{
				Name: "http", Port: FunctionPort, TargetPort: intstr.FromInt32(FunctionPort), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}

// specOf decodes the deployed FunctionDeployment stored on a Deployment.
//
// # Errors
// When the annotation is missing or not JSON.
func specOf(d *appsv1.Deployment) (provider.FunctionDeployment, error) {
	var fn provider.FunctionDeployment
	raw, ok := d.Annotations[AnnotationSpec]
	if !ok {
		return fn, fmt.Errorf("deployment %s/%s has no %s annotation", d.Namespace, d.Name, AnnotationSpec)
	}
	if err := json.Unmarshal([]byte(raw), &fn); err != nil {
		return fn, fmt.Errorf("deployment %s/%s: annotation %s: %w", d.Namespace, d.Name, AnnotationSpec, err)
	}
	return fn, nil
}

func ptr[T any](v T) *T { return &v }
