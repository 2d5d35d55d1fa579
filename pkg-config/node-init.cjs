
// Appended by build.sh: the browser build's init() and initSync(), which have nothing to do
// under Node (this module was instantiated when it loaded), so code written for the browser
// runs unchanged.
module.exports.init = async function init() {};
module.exports.initSync = function initSync() {};
