// Sending a feedback survey to the person in a one-to-one conversation: CSAT or NPS, how it
// is drawn, the privacy policy it links to (remembered for next time), an optional question.

import { post } from '../api.js';
import { toast } from '../app.js';
import { h } from '../dom.js';
import { modal } from '../ui/dialog.js';
import { formField, showFormError } from '../ui/form.js';

const PRIVACY_KEY = 'postern.survey.privacy_url';

/** Resolves with the survey sent, or null. */
export function surveyDialog(person) {
  return new Promise((resolve) => {
    let sent = null;
    const radio = (value, label, hint, checked) => h('label', { class: 'check' },
      h('input', { type: 'radio', name: 'survey-type', value, checked }),
      h('span', {}, h('strong', {}, label), h('small', {}, hint)));
    const display = h('select', { class: 'input', id: 'survey-display' },
      h('option', { value: 'stars' }, 'Stars'), h('option', { value: 'numbers' }, 'Numbers'), h('option', { value: 'emoji' }, 'Faces'));
    const privacy = formField('privacy_url', 'Privacy policy', { type: 'url', required: true, value: localStorage.getItem(PRIVACY_KEY) || '' },
      'Linked from the survey.', { id: 'survey-privacy' });
    const question = formField('question', 'Question (optional)', { maxlength: 280 }, 'A question that fits the type otherwise.', { id: 'survey-question' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const send = h('button', {
      class: 'btn primary', type: 'button',
      onclick: async () => {
        send.disabled = true;
        try {
          const type = dialog.querySelector('input[name="survey-type"]:checked').value;
          sent = await post('/feedback_requests', {
            type, recipient_id: person.id, display: display.value, privacy_url: privacy.input.value.trim(),
            ...(question.input.value.trim() ? { question: question.input.value.trim() } : {}),
          });
          localStorage.setItem(PRIVACY_KEY, privacy.input.value.trim());
          toast('Survey sent');
          dialog.close();
        } catch (err) {
          showFormError(err, [privacy, question], error);
        } finally {
          send.disabled = false;
        }
      },
    }, 'Send survey');
    const dialog = modal(`Ask ${person.name} for feedback`, [
      error,
      h('fieldset', { class: 'radio-group' }, h('legend', {}, 'Survey'),
        radio('csat', 'Satisfaction (CSAT)', 'How satisfied, 1 to 5.', true),
        radio('nps', 'Recommendation (NPS)', 'How likely to recommend you, 0 to 10.', false)),
      h('div', { class: 'field' }, h('label', { for: display.id }, 'Shown as'), display),
      privacy.el, question.el,
    ], [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), send],
    { onClose: () => resolve(sent) });
    dialog.querySelector('input[name="survey-type"]').focus();
  });
}
