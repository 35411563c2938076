// The resident app's "I'm fine" page of the care plugin (see care.js).
export { mountCheckIn as mount } from './care.js'
