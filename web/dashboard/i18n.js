import { makeI18n } from '@shared/i18n.js'
import messages from './messages.js'

export const i18n = makeI18n(messages)
