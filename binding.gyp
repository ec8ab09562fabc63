{
  "targets": [
    {
      "target_name": "galactic_cpu",
      "sources": [
        "native/addon/addon.cc",
        "native/cpu/msm.cpp",
        "native/cpu/msm_g2.cpp",
        "native/cpu/ntt.cpp",
        "native/cpu/pairing.cpp",
        "native/cpu/poseidon.cpp",
        "native/cpu/montgomery.cpp",
        "native/cpu/arithmetic.cpp",
        "native/cpu/calibrate.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/include"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"]
      }
    }
  ]
}
