"""Repository-wide pytest setup: nbval's notebook kernels talk over local IPC sockets instead of TCP ports.

With pytest-xdist, two workers start kernels at the same moment, and Jupyter picks random free TCP ports for
each: now and then both pick the same one and a kernel dies before it answers ("Kernel died before replying to
kernel_info"). IPC sockets are files with unique names, so there is nothing to collide on;
:func:`mlsheet_utils.tools.book.notebook_client` runs ``make execute``'s kernels the same way.
"""

import uuid


def _kernels_over_ipc():
    try:
        from nbval import kernel as nbval_kernel
    except ImportError:          # nbval not installed: nothing to configure
        return

    from mlsheet_utils.tools.book import _socket_dir

    def start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):
        """nbval's own start-up, with the kernel manager on an IPC transport."""
        km = nbval_kernel.KernelManager(kernel_name=kernel_name,
                                        kernel_spec_manager=nbval_kernel.NbvalKernelspecManager(),
                                        transport="ipc", ip=str(_socket_dir() / f"kernel-{uuid.uuid4().hex[:12]}"))
        km.start_kernel(**kwargs)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel()
            raise
        return km, kc

    nbval_kernel.start_new_kernel = start_new_kernel


_kernels_over_ipc()
