// The resident app's family view of the care plugin (see care.js).
export { mountFamily as mount } from './care.js'
