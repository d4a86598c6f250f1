import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 600000,
    // beforeAll hooks build the kernel or the interpreter: minutes on a loaded 2-core machine, not 10 s.
    hookTimeout: 600000,
  },
})
