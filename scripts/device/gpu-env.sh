# Sourced by device.sh and driver.sh with S (the state folder) set: the Vulkan loader and the
# NVIDIA ICD for Dawn (WebGPU). Sets ICD_NOTE to one line saying which Vulkan drivers were found.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# The loader: only where the machine has none (the device README: bring it when `ldconfig -p`
# lists no libvulkan); a machine that has one keeps its own.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  for f in "$S"/tools/gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
# the driver's libraries (the ICD names libGLX_nvidia.so.0), where the machine mounts them
if [ -d /usr/local/nvidia/lib64 ] && [[ ":${LD_LIBRARY_PATH:-}:" != *:/usr/local/nvidia/lib64:* ]]; then
  export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi
icd_files=$(
  if [ -n "${VK_DRIVER_FILES:-}" ]; then
    tr ':' '\n' <<<"$VK_DRIVER_FILES"
  else
    ls /usr/local/nvidia/share/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null
  fi
)
icd_list=$(echo $icd_files) # one line
ICD_NOTE="Vulkan ICDs: ${icd_list:-none}"
if command -v nvidia-smi >/dev/null && ! grep -qil nvidia $icd_files /dev/null 2>/dev/null; then
  ICD_NOTE="no Vulkan ICD for the NVIDIA GPU (looked at: ${icd_list:-none in /usr/local/nvidia/share/vulkan/icd.d, /usr/share/vulkan/icd.d, /etc/vulkan/icd.d}); WebGPU cannot use this GPU"
fi
