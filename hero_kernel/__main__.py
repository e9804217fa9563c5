from ipykernel.kernelapp import IPKernelApp

from hero_kernel.kernel import HeroKernel

IPKernelApp.launch_instance(kernel_class=HeroKernel)
