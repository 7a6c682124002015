__version__ = "0.1.0"
# The package's public entry point `from glq import quantize` is imported lazily, so that `import glq` stays cheap and the
# layers below the pipeline (codebook, transforms, quantizer) can be used without transformers installed.
# GPU kernels: `glq.inference_kernel.register_kernels()` makes them a forward backend of `E8RHTLinear`; it is called here when CUDA and Triton are present, so that a loaded checkpoint runs on the kernels. (On the CPU, even with
# TRITON_INTERPRET=1, layers dequantize; the kernel notebook registers the interpreter backend itself in its tests.)
def __getattr__(name):
    if name == 'quantize':
        from .quantize_model import quantize
        return quantize
    raise AttributeError(f"module 'glq' has no attribute {name!r}")

def _maybe_register_kernels():
    try:
        import torch, triton  # noqa: F401
    except ImportError: return
    if torch.cuda.is_available():
        try: from .inference_kernel import register_kernels
        except ImportError: return
        register_kernels()
_maybe_register_kernels()
