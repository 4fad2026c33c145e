// hls.js exports its light build at "hls.js/light" without a types condition; it has the
// same API as the full build minus features this player does not use.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export * from 'hls.js';
  export default Hls;
}
